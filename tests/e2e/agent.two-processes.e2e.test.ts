/**
 * GraphQL agent invocations behind a load balancer: two API processes over one DATA_DIR and Redis. An
 * invocation runs in the process that started it (A); respondToToolCall and closeAgentInvocation sent to
 * the other (B) are handed to A over Redis and answered as A would answer them, and the agentInvocation
 * subscription on B follows it live.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { agentTurnOf, type FakeLlmServer, startFakeAgentOpenAi } from '../support/fake-agent-providers.js';
import { closeGraphqlWsClients, connectGraphqlWs, subscribe } from '../support/graphql-ws.js';
import { exited, spawnServer } from '../support/process.js';
import { api, bearer, registerAndLogin, type Session } from '../support/server.js';

const weatherTool = {
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const FRAME = 'type invocationId content final callId name reason';
const NO_SUCH = 'No running invocation of yours has this id.';

describe('GraphQL agent invocations across two API processes over Redis', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-agent-two-'));
  let model: FakeLlmServer;
  let a: Awaited<ReturnType<typeof spawnServer>>;
  let b: Awaited<ReturnType<typeof spawnServer>>;
  let owner: Session;
  let stranger: Session;
  let slug: string;

  const gql = (on: { url: string }, who: Session, query: string, variables?: Record<string, unknown>) =>
    api(on, 'POST', '/graphql', { query, variables }, bearer(who.access));
  const respond = (on: { url: string }, who: Session, id: string, callId: string, result: unknown) =>
    gql(
      on,
      who,
      'mutation($i: ID!, $c: String!, $r: JSON) { respondToToolCall(invocationId: $i, callId: $c, result: $r) }',
      {
        i: id,
        c: callId,
        r: result,
      },
    );
  const close = (on: { url: string }, who: Session, id: string) =>
    gql(on, who, 'mutation($i: ID!) { closeAgentInvocation(invocationId: $i) }', { i: id });
  const follow = (on: { url: string }, who: Session, id: string) => {
    const sub = subscribe(
      connectGraphqlWs(on, { token: who.access }),
      `subscription($id: ID!) { agentInvocation(invocationId: $id) { ${FRAME} } }`,
      { id },
    );
    const frames = () => sub.results.map((r) => r.data?.agentInvocation ?? r);
    return { sub, frames };
  };

  /** Invoked on A; answers its id and the client tool call A sent out, seen by a subscriber on A. */
  async function invokedOnA(message: string) {
    const res = await gql(a, owner, 'mutation($input: InvokeAgentInput!) { invokeAgent(input: $input) }', {
      input: { workspaceSlug: slug, message, tools: [weatherTool] },
    });
    expect(res.body.errors).toBeUndefined();
    const id = res.body.data.invokeAgent as string;
    const onA = follow(a, owner, id);
    await onA.sub.until(() => onA.frames().some((f) => f.type === 'tool_call'), 'the tool_call on A');
    const call = onA.frames().find((f) => f.type === 'tool_call');
    return { id, callId: call.callId as string, onA };
  }

  /** The invocation as B's REST API reads it, once it is closed. */
  async function closedOnB(id: string) {
    for (let i = 0; i < 200; i++) {
      const res = await api(b, 'GET', `/api/agents/invocations/${id}/`, undefined, bearer(owner.access));
      if (res.status === 200 && res.body.status === 'closed') return res.body;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('B never read the invocation as closed');
  }

  beforeAll(async () => {
    if (!process.env.REDIS_URL) throw new Error('REDIS_URL must be set (the global setup starts redis-server)');
    model = await startFakeAgentOpenAi((seen) =>
      seen.turn === 0
        ? { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }
        : { text: `The weather: ${seen.toolResults.at(-1)?.content}` },
    );
    const shared = {
      DATA_DIR: dataDir,
      JWT_SECRET: 'agent-two-process-secret-agent-two-process',
      REDIS_URL: process.env.REDIS_URL,
      OPENAI_BASE_URL: model.url,
    };
    a = await spawnServer({ ...shared, ROLE: 'api,projector,worker' });
    b = await spawnServer({ ...shared, ROLE: 'api' });
    owner = await registerAndLogin(a, 'two_agent_owner');
    stranger = await registerAndLogin(a, 'two_agent_stranger');
    const ws = await api(
      a,
      'POST',
      '/api/workspaces/',
      { name: 'Agents Across', chat_provider: 'openai' },
      bearer(owner.access),
    );
    expect(ws.status).toBe(201);
    slug = ws.body.slug;
  }, 120_000);

  afterAll(async () => {
    await closeGraphqlWsClients();
    for (const p of [a, b]) {
      p?.child.kill('SIGTERM');
      if (p) await exited(p.child);
    }
    await model?.close();
  });

  it('given an invocation on A, when B gets the tool answer, then it completes with it, followed live on B', async () => {
    const { id, callId, onA } = await invokedOnA('Weather in Oslo?');
    const onB = follow(b, owner, id);
    await onB.sub.until(() => onB.frames().some((f) => f.type === 'tool_call'), 'the replayed tool_call on B');

    expect((await respond(b, owner, id, callId, 'hail')).body).toEqual({ data: { respondToToolCall: true } });

    await onB.sub.until(() => onB.sub.state.completed, 'the end of the subscription on B');
    expect(onB.frames().map((f) => f.type)).toEqual([
      'invocation_started',
      'tool_call',
      'agent_message',
      'invocation_closed',
    ]);
    expect(onB.frames()[2]).toMatchObject({ invocationId: id, content: 'The weather: hail', final: true });
    expect(onB.frames()[3]).toMatchObject({ reason: 'completed' });
    await onA.sub.until(() => onA.sub.state.completed, 'the end of the subscription on A');
    expect(onA.frames()).toEqual(onB.frames());
    expect(agentTurnOf(model.requests.at(-1)!).toolResults).toEqual([{ callId, content: 'hail', isError: false }]);
    expect(await closedOnB(id)).toMatchObject({ reason: 'completed' });
  });

  it('given an invocation on A, when B is asked to close it, then it closes with reason closed', async () => {
    const { id, onA } = await invokedOnA('Weather in Bergen?');
    expect((await close(b, owner, id)).body).toEqual({ data: { closeAgentInvocation: true } });
    await onA.sub.until(() => onA.sub.state.completed, 'the close on A');
    expect(onA.frames().at(-1)).toMatchObject({ type: 'invocation_closed', reason: 'closed' });
    expect(await closedOnB(id)).toMatchObject({ reason: 'closed' });
  });

  it("refuses on B a stranger's answer and an unknown call id as A would; the invocation waits on", async () => {
    const { id, callId, onA } = await invokedOnA('Weather in Tromso?');
    const strangers = await respond(b, stranger, id, callId, 'sunny');
    expect(strangers.body.data).toBeNull();
    expect(strangers.body.errors).toEqual([
      expect.objectContaining({
        message: NO_SUCH,
        extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', fieldErrors: { invocationId: [NO_SUCH] } }),
      }),
    ]);
    expect((await close(b, stranger, id)).body.errors[0].message).toBe(NO_SUCH);
    expect((await respond(b, owner, id, 'no-such-call', 'sunny')).body.errors[0].message).toBe(
      'No pending call of this invocation has this id.',
    );

    expect((await respond(b, owner, id, callId, 'fog')).body).toEqual({ data: { respondToToolCall: true } });
    await onA.sub.until(() => onA.sub.state.completed, 'the end on A');
    expect(onA.frames().find((f) => f.type === 'agent_message')).toMatchObject({ content: 'The weather: fog' });
  });

  it('refuses on B an id no process runs, once the processes have been asked', async () => {
    const unknown = randomUUID();
    expect((await respond(b, owner, unknown, 'call_1', 'x')).body.errors[0].message).toBe(NO_SUCH);
    expect((await close(b, owner, unknown)).body.errors[0].message).toBe(NO_SUCH);
  });

  it('refuses bad input on B with the validation error A gives', async () => {
    const { id, callId } = await invokedOnA('Weather in Bodo?');
    const both = await gql(
      b,
      owner,
      'mutation($i: ID!, $c: String!) { respondToToolCall(invocationId: $i, callId: $c, result: "x", error: "y") }',
      { i: id, c: callId },
    );
    expect(both.body.errors).toEqual([
      expect.objectContaining({
        extensions: expect.objectContaining({ fieldErrors: { result: ['Send either a result or an error.'] } }),
      }),
    ]);
    expect((await close(b, owner, id)).body).toEqual({ data: { closeAgentInvocation: true } });
  });
});
