import { randomUUID } from 'node:crypto';
import type { AgentModel, AgentTurn, AgentTurnRequest } from '../../../src/ai/llm/agent-port.js';
import { LlmError } from '../../../src/ai/llm/port.js';
import type { AgentDeps } from '../../../src/commands/agents/deps.js';
import type { AgentFrame } from '../../../src/commands/agents/frames.js';
import { AgentInvocations } from '../../../src/commands/agents/invocations.js';
import { agentStreamName, type RunningInvocation } from '../../../src/commands/agents/run-invocation.js';
import type { Actor } from '../../../src/commands/shared/context.js';
import { updateUser } from '../../../src/commands/identity/admin.js';
import { registerUser } from '../../../src/commands/identity/register.js';
import { createWorkspace } from '../../../src/commands/workspaces/workspaces.js';
import { CALL_CANCELLED } from '../../../src/domain/agents/invocation.js';
import { DomainError } from '../../../src/domain/shared/errors.js';
import { SqliteEventStore } from '../../../src/infra/eventstore/sqlite.js';
import { commandCtx } from '../../support/context.js';

/** One scripted model turn: what the model answers, given what it was sent. */
type Script = (request: AgentTurnRequest) => AgentTurn | Promise<AgentTurn>;

/** A test double of the AgentModel port: plays its script turn by turn and keeps every request. */
class ScriptedAgent implements AgentModel {
  readonly name = 'scripted';
  readonly requests: AgentTurnRequest[] = [];
  constructor(private readonly script: Script[]) {}
  async turn(request: AgentTurnRequest): Promise<AgentTurn> {
    this.requests.push({ ...request, messages: [...request.messages] });
    const next = this.script[Math.min(this.requests.length - 1, this.script.length - 1)];
    return next(request);
  }
}

const says =
  (text: string): Script =>
  () => ({ text, toolCalls: [], usage: { inputTokens: 10, outputTokens: 5 } });
const calls =
  (...toolCalls: [id: string, name: string, args: Record<string, unknown>][]): Script =>
  () => ({
    text: '',
    toolCalls: toolCalls.map(([id, name, args]) => ({ id, name, arguments: args })),
    usage: { inputTokens: 20, outputTokens: 3 },
  });
/** A turn that never ends by itself: it rejects once its signal aborts, as an adapter does. */
const hangs: Script = ({ signal }) =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));

const weather = {
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const REFUNDS = 'Customers may return any item within thirty days of delivery.';

describe('agent invocations (runtime)', () => {
  let store: SqliteEventStore;
  let owner: Actor;
  let slug: string;
  let workspaceId: number;
  let agent: ScriptedAgent;
  let runtime: AgentInvocations;
  let limits: AgentDeps['agentLimits'];

  beforeEach(async () => {
    store = SqliteEventStore.open(':memory:');
    const pw = 'Correct-Horse-42';
    const { userId } = await registerUser(
      store,
      { username: 'owner', email: 'owner@example.com', password: pw, password_confirm: pw },
      commandCtx(),
    );
    owner = { type: 'user', userId, role: 'admin' };
    const created = await createWorkspace(store, { name: 'Agents' }, commandCtx(owner));
    ({ slug, workspaceId } = created as any);
    limits = { maxSteps: 8, toolTimeoutMs: 60_000, invocationTimeoutMs: 60_000 };
  });
  afterEach(async () => {
    await runtime?.stop();
    store.close();
  });

  function start(script: Script[]) {
    agent = new ScriptedAgent(script);
    const deps: AgentDeps = {
      store,
      agents: { selectAgent: () => ({ agent, model: 'm' }) },
      knowledge: {
        search: async (wsId, query) =>
          wsId === workspaceId && /return|refund/i.test(query)
            ? [{ chunkId: '40:0', documentId: 40, filename: 'refunds.md', chunkIndex: 0, text: REFUNDS, score: 0.8 }]
            : [],
        pinned: async () => [],
      },
      agentDocuments: {
        list: async () => [{ id: 40, filename: 'refunds.md', status: 'ready', chunkCount: 1 }],
        text: async (wsId, id) =>
          wsId === workspaceId && id === 40 ? { filename: 'refunds.md', text: REFUNDS } : null,
      },
      agentLimits: limits,
      promptBudget: { pinnedTokens: 1000, contextTokens: 1000 },
    };
    runtime = new AgentInvocations(deps, () => {});
  }

  async function invoke(input: Record<string, unknown>, actor: Actor = owner) {
    const frames: AgentFrame[] = [];
    const invocation = await runtime.invoke(input, slug, commandCtx(actor), (f) => frames.push(f));
    return { invocation, frames };
  }

  const eventsOf = async (invocation: RunningInvocation) =>
    (await store.readStream(agentStreamName(invocation.invocationId))).map((e) => ({ type: e.type, ...e.data }));

  const until = async (check: () => boolean) => {
    while (!check()) await new Promise((r) => setTimeout(r, 5));
  };

  it('runs a client tool round trip: tool_call, the answer back to the model, the final message, closed', async () => {
    start([calls(['c1', 'get_weather', { city: 'Oslo' }]), says('It is sunny in Oslo.')]);
    const { invocation, frames } = await invoke({ message: 'Weather in Oslo?', tools: [weather] });
    const id = invocation.invocationId;
    await until(() => frames.some((f) => f.type === 'tool_call'));
    runtime.respond(owner, { invocation_id: id, call_id: 'c1', result: { sky: 'sunny' } });
    await invocation.done;

    expect(frames).toEqual([
      { type: 'invocation_started', invocation_id: id },
      { type: 'tool_call', invocation_id: id, call_id: 'c1', name: 'get_weather', arguments: { city: 'Oslo' } },
      { type: 'agent_message', invocation_id: id, content: 'It is sunny in Oslo.', final: true },
      { type: 'invocation_closed', invocation_id: id, reason: 'completed' },
    ]);
    expect(agent.requests[1].messages.at(-1)).toEqual({
      role: 'tool',
      callId: 'c1',
      name: 'get_weather',
      content: '{"sky":"sunny"}',
      isError: false,
    });
    expect(agent.requests[0].tools.map((t) => t.name)).toEqual([
      'search_documents',
      'list_documents',
      'read_document',
      'get_weather',
    ]);
    expect((await eventsOf(invocation)).map((e) => e.type)).toEqual([
      'AgentInvoked',
      'AgentToolCalled',
      'AgentToolResponded',
      'AgentMessageSent',
      'AgentInvocationClosed',
    ]);
    expect((await eventsOf(invocation)).at(-1)).toMatchObject({
      reason: 'completed',
      steps: 2,
      tokens: { input: 30, output: 8 },
    });
  });

  it('runs server tools in process and reports each as a message naming the tool', async () => {
    start([calls(['s1', 'search_documents', { query: 'refund period' }]), says('Thirty days.')]);
    const { invocation, frames } = await invoke({ message: 'How long may I return things?' });
    await invocation.done;
    expect(agent.requests[1].messages.at(-1)).toEqual({
      role: 'tool',
      callId: 's1',
      name: 'search_documents',
      content: JSON.stringify({
        results: [{ document_id: 40, filename: 'refunds.md', chunk: 0, text: REFUNDS, score: 0.8 }],
      }),
      isError: false,
    });
    expect(frames.filter((f) => f.type === 'agent_message')).toEqual([
      expect.objectContaining({ content: 'search_documents: found 1 passage.', final: false }),
      expect.objectContaining({ content: 'Thirty days.', final: true }),
    ]);
    expect(frames.some((f) => f.type === 'tool_call')).toBe(false);
    const called = (await eventsOf(invocation)).find((e) => e.type === 'AgentToolCalled');
    expect(called).toMatchObject({ side: 'server', name: 'search_documents', arguments: { query: 'refund period' } });
  });

  it('reads a document of the workspace and refuses one it does not hold, as a tool error', async () => {
    start([
      calls(['r1', 'read_document', { document_id: 40 }], ['r2', 'read_document', { document_id: 41 }]),
      says('Done.'),
    ]);
    const { invocation } = await invoke({ message: 'Read them' });
    await invocation.done;
    const [first, second] = agent.requests[1].messages.slice(-2) as any[];
    expect(JSON.parse(first.content)).toEqual({
      document_id: 40,
      filename: 'refunds.md',
      text: REFUNDS,
      truncated: false,
    });
    expect(second).toMatchObject({ callId: 'r2', isError: true, content: 'No ready document 41 in this workspace.' });
  });

  it('records every answer of calls that finish together, each once', async () => {
    start([
      calls(['a', 'list_documents', {}], ['b', 'list_documents', {}], ['c', 'read_document', { document_id: 40 }]),
      says('Done.'),
    ]);
    const { invocation } = await invoke({ message: 'Look around' });
    await invocation.done;
    const events = await eventsOf(invocation);
    const answered = events.filter((e) => e.type === 'AgentToolResponded').map((e: any) => e.callId);
    expect(answered.sort()).toEqual(['a', 'b', 'c']);
    expect(new Set((await store.readStream(agentStreamName(invocation.invocationId))).map((e) => e.id)).size).toBe(
      events.length,
    );
    expect(events.at(-1)).toMatchObject({ type: 'AgentInvocationClosed', reason: 'completed' });
  });

  it('tells the model a client call failed when it goes unanswered past the tool timeout', async () => {
    limits.toolTimeoutMs = 30;
    start([calls(['c1', 'get_weather', { city: 'Oslo' }]), says('I could not get the weather.')]);
    const { invocation, frames } = await invoke({ message: 'Weather?', tools: [weather] });
    await invocation.done;
    expect(agent.requests[1].messages.at(-1)).toMatchObject({
      role: 'tool',
      isError: true,
      content: 'The client did not answer this call within 30 ms.',
    });
    expect(frames.at(-1)).toMatchObject({ type: 'invocation_closed', reason: 'completed' });
    expect(() =>
      runtime.respond(owner, { invocation_id: invocation.invocationId, call_id: 'c1', result: 'late' }),
    ).toThrow(DomainError);
  });

  it('closing cancels a pending client call and records it answered as cancelled, then closed', async () => {
    start([calls(['c1', 'get_weather', { city: 'Oslo' }]), says('never')]);
    const { invocation, frames } = await invoke({ message: 'Weather?', tools: [weather] });
    await until(() => frames.some((f) => f.type === 'tool_call'));
    runtime.close(owner, invocation.invocationId);
    await invocation.done;
    expect(frames.at(-1)).toEqual({
      type: 'invocation_closed',
      invocation_id: invocation.invocationId,
      reason: 'closed',
    });
    const events = await eventsOf(invocation);
    expect(events.slice(-2)).toEqual([
      expect.objectContaining({ type: 'AgentToolResponded', callId: 'c1', error: CALL_CANCELLED }),
      expect.objectContaining({ type: 'AgentInvocationClosed', reason: 'closed', steps: 1 }),
    ]);
    expect(agent.requests).toHaveLength(1);
  });

  it('closing cancels the model call in flight', async () => {
    start([hangs]);
    const { invocation } = await invoke({ message: 'Think hard' });
    await until(() => agent.requests.length === 1);
    runtime.close(owner, invocation.invocationId);
    await invocation.done;
    expect(agent.requests[0].signal.aborted).toBe(true);
    expect((await eventsOf(invocation)).at(-1)).toMatchObject({ type: 'AgentInvocationClosed', reason: 'closed' });
  });

  it('stops after AGENT_MAX_STEPS model turns with reason max_steps', async () => {
    limits.maxSteps = 3;
    start([calls(['l', 'list_documents', {}])]);
    const { invocation, frames } = await invoke({ message: 'Loop forever' });
    await invocation.done;
    expect(agent.requests).toHaveLength(3);
    expect(frames.at(-1)).toMatchObject({ type: 'invocation_closed', reason: 'max_steps' });
    expect((await eventsOf(invocation)).at(-1)).toMatchObject({ reason: 'max_steps', steps: 3 });
    // Reused provider ids are made unique within the invocation.
    const callIds = (await eventsOf(invocation)).filter((e) => e.type === 'AgentToolCalled').map((e: any) => e.callId);
    expect(new Set(callIds).size).toBe(3);
  });

  it('closes with reason timeout when the whole invocation runs too long', async () => {
    limits.invocationTimeoutMs = 30;
    start([hangs]);
    const { invocation, frames } = await invoke({ message: 'Think forever' });
    await invocation.done;
    expect(frames.slice(-2)).toEqual([
      { type: 'error', invocation_id: invocation.invocationId, error: 'The invocation ran longer than 30 ms.' },
      { type: 'invocation_closed', invocation_id: invocation.invocationId, reason: 'timeout' },
    ]);
  });

  it('closes with reason error and the provider message when the model fails', async () => {
    start([
      () => {
        throw new LlmError('The OpenAI-compatible endpoint is unavailable.');
      },
    ]);
    const { invocation, frames } = await invoke({ message: 'Hello' });
    await invocation.done;
    expect(frames.slice(-2)).toEqual([
      {
        type: 'error',
        invocation_id: invocation.invocationId,
        error: 'The OpenAI-compatible endpoint is unavailable.',
      },
      { type: 'invocation_closed', invocation_id: invocation.invocationId, reason: 'error' },
    ]);
  });

  it('refuses bad client tools before anything is recorded', async () => {
    start([says('unused')]);
    const head = await store.headPosition();
    await expect(invoke({ message: 'Hi', tools: [{ ...weather, name: 'search_documents' }] })).rejects.toMatchObject({
      kind: 'validation',
    });
    await expect(invoke({ message: '' })).rejects.toMatchObject({ kind: 'validation' });
    expect(await store.headPosition()).toBe(head);
    expect(agent.requests).toHaveLength(0);
  });

  it('refuses an invocation id already used, recording nothing: not even a use of the daily limit', async () => {
    start([says('Hello.')]);
    const id = randomUUID();
    const { invocation } = await invoke({ message: 'One', invocation_id: id });
    await invocation.done;
    const head = await store.headPosition();
    await expect(invoke({ message: 'Again', invocation_id: id })).rejects.toMatchObject({
      kind: 'conflict',
      message: 'An invocation with this id already exists.',
    });
    expect(await store.headPosition()).toBe(head);
  });

  it("refuses an unknown call id and another user's invocation", async () => {
    start([calls(['c1', 'get_weather', { city: 'Oslo' }]), says('ok')]);
    const { invocation, frames } = await invoke({ message: 'Weather?', tools: [weather] });
    await until(() => frames.some((f) => f.type === 'tool_call'));
    const id = invocation.invocationId;
    expect(() => runtime.respond(owner, { invocation_id: id, call_id: 'nope', result: 'x' })).toThrow(
      'No pending call of this invocation has this id.',
    );
    const stranger: Actor = { type: 'user', userId: owner.userId + 100, role: 'admin' };
    expect(() => runtime.respond(stranger, { invocation_id: id, call_id: 'c1', result: 'x' })).toThrow(
      'No running invocation of yours has this id.',
    );
    expect(() => runtime.close(stranger, id)).toThrow('No running invocation of yours has this id.');
    runtime.respond(owner, { invocation_id: id, call_id: 'c1', error: 'City unknown' });
    await invocation.done;
    expect(agent.requests[1].messages.at(-1)).toMatchObject({ isError: true, content: 'City unknown' });
  });

  it('counts each invocation against the daily message limit', async () => {
    const pw = 'Correct-Horse-42';
    const { userId } = await registerUser(
      store,
      { username: 'limited', email: 'limited@example.com', password: pw, password_confirm: pw },
      commandCtx(),
    );
    await updateUser(store, userId, { daily_message_limit: 1 }, commandCtx(owner));
    await (
      await import('../../../src/commands/workspaces/workspaces.js')
    ).addWorkspaceMember(store, slug, { user_id: userId }, commandCtx(owner));
    const limited: Actor = { type: 'user', userId, role: 'default' };
    start([says('Hello.')]);
    await (
      await invoke({ message: 'One' }, limited)
    ).invocation.done;
    await expect(invoke({ message: 'Two' }, limited)).rejects.toMatchObject({
      kind: 'rate_limited',
      message: 'You have reached your daily chat limit of 1',
    });
  });
});
