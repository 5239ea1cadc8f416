/**
 * Two API processes' agent runtimes over one event store and one pub/sub: an invocation runs in the
 * process that started it (A); a respond or close reaching the other (B) is handed to A, which checks
 * it as its own and replies; a follower on B sees A's frames live from the event store.
 */
import { randomUUID } from 'node:crypto';
import type { AgentModel, AgentTurn, AgentTurnRequest } from '../../../src/ai/llm/agent-port.js';
import type { AgentDeps } from '../../../src/commands/agents/deps.js';
import { followInvocation } from '../../../src/commands/agents/follow.js';
import type { AgentFrame } from '../../../src/commands/agents/frames.js';
import { AgentInvocations } from '../../../src/commands/agents/invocations.js';
import { RemoteInvocations } from '../../../src/commands/agents/remote-invocations.js';
import type { Actor } from '../../../src/commands/shared/context.js';
import { registerUser } from '../../../src/commands/identity/register.js';
import { createWorkspace } from '../../../src/commands/workspaces/workspaces.js';
import { DomainError } from '../../../src/domain/shared/errors.js';
import { SqliteEventStore } from '../../../src/infra/eventstore/sqlite.js';
import { MemoryPubSub } from '../../../src/infra/pubsub/memory.js';
import type { PubSub } from '../../../src/infra/pubsub/port.js';
import { commandCtx } from '../../support/context.js';
import { systemEvent } from '../../support/events.js';

/** Asks for the weather once, then answers with what the tool returned (or that it failed). */
class WeatherAgent implements AgentModel {
  readonly name = 'weather';
  readonly requests: AgentTurnRequest[] = [];
  async turn(request: AgentTurnRequest): Promise<AgentTurn> {
    this.requests.push(request);
    const last = request.messages.at(-1)!;
    if (last.role !== 'tool')
      return { text: '', toolCalls: [{ id: 'c1', name: 'get_weather', arguments: { city: 'Oslo' } }], usage: null };
    return { text: `Weather: ${last.content}`, toolCalls: [], usage: null };
  }
}

const weather = {
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const NO_SUCH = 'No running invocation of yours has this id.';
const REPLY_TIMEOUT_MS = 300;

describe('agent invocations answered from another process', () => {
  let store: SqliteEventStore;
  let pubsub: PubSub;
  let owner: Actor;
  let stranger: Actor;
  let slug: string;
  let agent: WeatherAgent;
  let onA: AgentInvocations;
  let onB: AgentInvocations;
  let routedA: RemoteInvocations;
  let routedB: RemoteInvocations;
  const logged: unknown[] = [];

  const runtime = () =>
    new AgentInvocations(
      {
        store,
        agents: { selectAgent: () => ({ agent, model: 'm' }) },
        knowledge: { search: async () => [], pinned: async () => [] },
        agentDocuments: { list: async () => [], text: async () => null },
        agentLimits: { maxSteps: 8, toolTimeoutMs: 60_000, invocationTimeoutMs: 60_000 },
        promptBudget: { pinnedTokens: 1000, contextTokens: 1000 },
      } satisfies AgentDeps,
      (err) => logged.push(err),
    );
  const options = { replyTimeoutMs: REPLY_TIMEOUT_MS, log: (err: unknown) => logged.push(err) };

  beforeEach(async () => {
    store = SqliteEventStore.open(':memory:');
    pubsub = new MemoryPubSub();
    const pw = 'Correct-Horse-42';
    const user = async (name: string): Promise<Actor> => {
      const { userId } = await registerUser(
        store,
        { username: name, email: `${name}@example.com`, password: pw, password_confirm: pw },
        commandCtx(),
      );
      return { type: 'user', userId, role: 'admin' };
    };
    owner = await user('owner');
    stranger = await user('stranger');
    ({ slug } = (await createWorkspace(store, { name: 'Remote' }, commandCtx(owner))) as any);
    agent = new WeatherAgent();
    onA = runtime();
    onB = runtime();
    routedA = await RemoteInvocations.start(onA, pubsub, options);
    routedB = await RemoteInvocations.start(onB, pubsub, options);
    logged.length = 0;
  });
  afterEach(async () => {
    await routedA.stop();
    await routedB.stop();
    await onA.stop();
    await onB.stop();
    await pubsub.close();
    await store.close();
    expect(logged).toEqual([]);
  });

  /** An invocation started on A, once its tool_call is out. */
  async function invokedOnA() {
    const frames: AgentFrame[] = [];
    const invocation = await onA.invoke({ message: 'Weather?', tools: [weather] }, slug, commandCtx(owner), (f) =>
      frames.push(f),
    );
    while (!frames.some((f) => f.type === 'tool_call')) await new Promise((r) => setTimeout(r, 5));
    return { invocation, frames };
  }

  const refusal = async (promise: Promise<unknown>) => {
    const err = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DomainError);
    return err as DomainError;
  };

  it("hands B's answer to the tool call to A, where the invocation completes with it", async () => {
    const { invocation, frames } = await invokedOnA();
    await routedB.respond(owner, { invocation_id: invocation.invocationId, call_id: 'c1', result: { sky: 'hail' } });
    await invocation.done;
    expect(frames.map((f) => f.type)).toEqual([
      'invocation_started',
      'tool_call',
      'agent_message',
      'invocation_closed',
    ]);
    expect(frames[2]).toMatchObject({ content: 'Weather: {"sky":"hail"}', final: true });
    expect(frames[3]).toMatchObject({ reason: 'completed' });
  });

  it('closes an invocation running on A when B is asked to', async () => {
    const { invocation, frames } = await invokedOnA();
    await routedB.close(owner, invocation.invocationId);
    await invocation.done;
    expect(frames.at(-1)).toMatchObject({ type: 'invocation_closed', reason: 'closed' });
  });

  it("answers A's refusals on B: a stranger's respond or close, an unknown call id", async () => {
    const { invocation } = await invokedOnA();
    const id = invocation.invocationId;
    const strangers = await refusal(routedB.respond(stranger, { invocation_id: id, call_id: 'c1', result: 'x' }));
    expect(strangers).toMatchObject({
      kind: 'validation',
      message: NO_SUCH,
      fieldErrors: { invocation_id: [NO_SUCH] },
    });
    expect(await refusal(routedB.close(stranger, id))).toMatchObject({ message: NO_SUCH });
    const unknownCall = await refusal(routedB.respond(owner, { invocation_id: id, call_id: 'nope', result: 'x' }));
    expect(unknownCall).toMatchObject({
      kind: 'validation',
      message: 'No pending call of this invocation has this id.',
      fieldErrors: { call_id: ['No pending call of this invocation has this id.'] },
    });
    // Still running and waiting for its answer: the refusals changed nothing.
    await routedB.respond(owner, { invocation_id: id, call_id: 'c1', result: 'sun' });
    await invocation.done;
  });

  it('refuses an id no process runs once no reply came within the timeout', async () => {
    expect(
      await refusal(routedB.respond(owner, { invocation_id: randomUUID(), call_id: 'c1', result: 'x' })),
    ).toMatchObject({ message: NO_SUCH });
    expect(await refusal(routedB.close(owner, randomUUID()))).toMatchObject({ message: NO_SUCH });
  });

  it('refuses bad input before anything is published', async () => {
    const published: unknown[] = [];
    const spy: PubSub = {
      publish: async (channel, message) => {
        published.push(message);
        await pubsub.publish(channel, message);
      },
      subscribe: (channel, handler) => pubsub.subscribe(channel, handler),
      close: async () => {},
    };
    const routed = await RemoteInvocations.start(runtime(), spy, options);
    try {
      const id = randomUUID();
      const both = await refusal(routed.respond(owner, { invocation_id: id, call_id: 'c1', result: 'x', error: 'y' }));
      expect(both).toMatchObject({
        kind: 'validation',
        fieldErrors: { result: ['Send either a result or an error.'] },
      });
      await refusal(routed.respond(owner, { invocation_id: id, result: 'x' }));
      await refusal(routed.respond(owner, { invocation_id: id, call_id: 'c1', result: 'bad\u0000text' }));
      // Not a UUID: no invocation has this id, anywhere.
      expect(await refusal(routed.close(owner, 'not-an-invocation'))).toMatchObject({ message: NO_SUCH });
      expect(published).toEqual([]);
    } finally {
      await routed.stop();
    }
  });

  it('answers locally, asking nobody, without pub/sub across processes', async () => {
    // A reply timeout far beyond the test's: were the refusal waiting for a reply, the test would time out.
    const alone = await RemoteInvocations.start(onA, null, { ...options, replyTimeoutMs: 10 * 60_000 });
    const { invocation } = await invokedOnA();
    await alone.respond(owner, { invocation_id: invocation.invocationId, call_id: 'c1', result: 'fog' });
    await invocation.done;
    expect(await refusal(alone.close(owner, randomUUID()))).toMatchObject({ message: NO_SUCH });
    await alone.stop();
  });

  it('follows an invocation running on A from B: the recorded frames, then the live ones until closed', async () => {
    const { invocation } = await invokedOnA();
    const followed = await followInvocation(store, onB, owner, invocation.invocationId);
    const frames: AgentFrame[] = [];
    const reading = (async () => {
      for await (const frame of followed) frames.push(frame);
    })();
    await routedB.respond(owner, { invocation_id: invocation.invocationId, call_id: 'c1', result: 'rain' });
    await reading;
    expect(frames.map((f) => f.type)).toEqual([
      'invocation_started',
      'tool_call',
      'agent_message',
      'invocation_closed',
    ]);
    expect(frames[2]).toMatchObject({ content: 'Weather: rain', final: true });
  });

  it('replays and ends, rather than waiting forever, an invocation left open past its time by a process that is gone', async () => {
    const invocationId = randomUUID();
    const longAgo = new Date(Date.now() - 60 * 60_000);
    await store.appendToStream(
      `agent-${invocationId}`,
      [
        {
          ...systemEvent('AgentInvoked', {
            invocationId,
            workspaceId: 1,
            userId: owner.userId,
            message: 'Weather?',
            clientTools: [],
            at: longAgo.toISOString(),
          }),
          createdAt: longAgo,
        },
      ],
      'no_stream',
    );
    const frames: AgentFrame[] = [];
    for await (const frame of await followInvocation(store, onB, owner, invocationId)) frames.push(frame);
    expect(frames).toEqual([{ type: 'invocation_started', invocation_id: invocationId }]);
  });
});
