/**
 * The GraphQL twin of the Agent WebSocket: invokeAgent over HTTP returns the invocation id, the
 * agentInvocation subscription (graphql-ws) replays the frames recorded before it subscribed (a pending
 * tool_call included) and follows live; respondToToolCall and closeAgentInvocation act on one's own.
 * A retried invokeAgent with the same Idempotency-Key answers the first id and starts nothing.
 */
import { randomUUID } from 'node:crypto';
import {
  agentTurnOf,
  type FakeLlmServer,
  startFakeAgentAnthropic,
  startFakeAgentOpenAi,
} from '../support/fake-agent-providers.js';
import { expectAppendsNothing } from '../support/e2e.js';
import { closeGraphqlWsClients, connectGraphqlWs, subscribe } from '../support/graphql-ws.js';
import { api, bearer, registerAndLogin, type Session, startTestServer, type TestServer } from '../support/server.js';

const weatherTool = {
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const FRAME = 'type invocationId content final callId name arguments reason error';

describe('Agents over GraphQL', () => {
  let server: TestServer;
  let openai: FakeLlmServer;
  let anthropic: FakeLlmServer;
  let viaAnthropic: any;
  let owner: Session;
  let other: Session;
  let workspace: any;
  const gql = (who: Session, query: string, variables?: Record<string, unknown>) =>
    api(server, 'POST', '/graphql', { query, variables }, bearer(who.access));
  const invokeRequest = (who: Session, message: string, headers: Record<string, string> = {}) =>
    api(
      server,
      'POST',
      '/graphql',
      {
        query: 'mutation($input: InvokeAgentInput!) { invokeAgent(input: $input) }',
        variables: { input: { workspaceSlug: workspace.slug, message, tools: [weatherTool] } },
      },
      { ...bearer(who.access), ...headers },
    );
  const invoke = async (who: Session, message: string, slug: string = workspace.slug) => {
    const res = await gql(who, 'mutation($input: InvokeAgentInput!) { invokeAgent(input: $input) }', {
      input: { workspaceSlug: slug, message, tools: [weatherTool] },
    });
    expect(res.body.errors).toBeUndefined();
    return res.body.data.invokeAgent as string;
  };
  const invokedIds = async () =>
    (await server.deps.store.readAll({ types: ['AgentInvoked'] })).map((e) => e.data.invocationId as string);
  const untilToolCall = async (who: Session, id: string) => {
    const sub = follow(who, id);
    await sub.until(() => sub.results.some((r) => r.data?.agentInvocation.type === 'tool_call'), 'the tool_call');
    return sub;
  };
  const follow = (who: Session, id: string) =>
    subscribe(
      connectGraphqlWs(server, { token: who.access }),
      `subscription($id: ID!) { agentInvocation(invocationId: $id) { ${FRAME} } }`,
      { id },
    );

  beforeAll(async () => {
    const script = (seen: { turn: number; toolResults: { content: string }[] }) =>
      seen.turn === 0
        ? { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }
        : { text: `The weather: ${seen.toolResults.at(-1)?.content}` };
    openai = await startFakeAgentOpenAi(script);
    anthropic = await startFakeAgentAnthropic(script);
    server = await startTestServer({
      OPENAI_BASE_URL: openai.url,
      ANTHROPIC_API_KEY: 'test-key',
      ANTHROPIC_BASE_URL: anthropic.url,
    });
    owner = await registerAndLogin(server, 'gql_agent_owner');
    other = await registerAndLogin(server, 'gql_agent_other');
    workspace = (
      await api(
        server,
        'POST',
        '/api/workspaces/',
        { name: 'GQL Agents', chat_provider: 'openai' },
        bearer(owner.access),
      )
    ).body;
    viaAnthropic = (
      await api(
        server,
        'POST',
        '/api/workspaces/',
        { name: 'GQL Agents Anthropic', chat_provider: 'anthropic', chat_model: 'agent-model' },
        bearer(owner.access),
      )
    ).body;
    await api(
      server,
      'POST',
      `/api/workspaces/${workspace.slug}/add_user/`,
      { user_id: other.user.id },
      bearer(owner.access),
    );
  }, 60_000);

  afterAll(async () => {
    await closeGraphqlWsClients();
    await server?.close();
    await openai?.close();
    await anthropic?.close();
  });

  it.each([
    ['an OpenAI-compatible endpoint', () => workspace, () => openai],
    ['an Anthropic endpoint', () => viaAnthropic, () => anthropic],
  ])(
    'runs a client tool round trip against %s: a late subscriber gets the pending tool_call, then the rest live',
    async (_what, ws, model) => {
      const id = await invoke(owner, 'Weather in Oslo?', ws().slug);
      const sub = follow(owner, id);
      await sub.until(() => sub.results.some((r) => r.data?.agentInvocation.type === 'tool_call'), 'the tool_call');
      const call = sub.results.map((r) => r.data.agentInvocation).find((f) => f.type === 'tool_call');
      expect(call).toMatchObject({ invocationId: id, name: 'get_weather', arguments: { city: 'Oslo' } });

      const answered = await gql(
        owner,
        'mutation($i: ID!, $c: String!, $r: JSON) { respondToToolCall(invocationId: $i, callId: $c, result: $r) }',
        { i: id, c: call.callId, r: 'hail' },
      );
      expect(answered.body).toEqual({ data: { respondToToolCall: true } });
      await sub.until(() => sub.state.completed, 'the end of the subscription');
      expect(sub.results.map((r) => r.data.agentInvocation.type)).toEqual([
        'invocation_started',
        'tool_call',
        'agent_message',
        'invocation_closed',
      ]);
      expect(sub.results[2].data.agentInvocation).toMatchObject({ content: 'The weather: hail', final: true });
      expect(sub.results[3].data.agentInvocation).toMatchObject({ reason: 'completed' });
      expect(agentTurnOf(model().requests.at(-1)!).toolResults).toEqual([
        { callId: call.callId, content: 'hail', isError: false },
      ]);

      // Subscribing after the end replays the same frames and completes.
      const again = follow(owner, id);
      await again.until(() => again.state.completed, 'the replay');
      expect(again.results.map((r) => r.data.agentInvocation)).toEqual(sub.results.map((r) => r.data.agentInvocation));

      let found: any;
      for (let i = 0; i < 100 && found?.status !== 'closed'; i++) {
        found = (
          await gql(
            owner,
            'query($id: ID!) { agentInvocation(id: $id) { id status reason stepCount steps { kind name side result content final } } }',
            { id },
          )
        ).body.data.agentInvocation;
        if (found?.status !== 'closed') await new Promise((r) => setTimeout(r, 20));
      }
      expect(found).toMatchObject({ id, status: 'closed', reason: 'completed', stepCount: 2 });
      expect(found.steps.map((s: any) => s.kind)).toEqual(['tool_call', 'tool_response', 'message']);
      const listed = await gql(owner, 'query($w: ID) { agentInvocations(workspaceId: $w) { id } }', {
        w: String(ws().id),
      });
      expect(listed.body.data.agentInvocations.map((i: any) => i.id)).toContain(id);
    },
  );

  it("refuses answering or closing someone else's invocation; the owner may close it", async () => {
    const id = await invoke(owner, 'Weather again?');
    const sub = follow(owner, id);
    await sub.until(() => sub.results.some((r) => r.data?.agentInvocation.type === 'tool_call'), 'the tool_call');
    const call = sub.results.map((r) => r.data.agentInvocation).find((f) => f.type === 'tool_call');
    const respond = await gql(
      other,
      'mutation($i: ID!, $c: String!) { respondToToolCall(invocationId: $i, callId: $c, result: "x") }',
      { i: id, c: call.callId },
    );
    expect(respond.body.errors[0].message).toBe('No running invocation of yours has this id.');
    const close = await gql(other, 'mutation($i: ID!) { closeAgentInvocation(invocationId: $i) }', { i: id });
    expect(close.body.errors[0].message).toBe('No running invocation of yours has this id.');
    const snoop = follow(other, id);
    await snoop.until(() => snoop.state.completed, 'the refusal');
    expect(snoop.results).toEqual([
      { errors: [expect.objectContaining({ message: 'Not found.', extensions: { code: 'NOT_FOUND' } })] },
    ]);

    expect((await gql(owner, 'mutation($i: ID!) { closeAgentInvocation(invocationId: $i) }', { i: id })).body).toEqual({
      data: { closeAgentInvocation: true },
    });
    await sub.until(() => sub.state.completed, 'the close');
    expect(sub.results.at(-1).data.agentInvocation).toMatchObject({ type: 'invocation_closed', reason: 'closed' });
  });

  describe('with an Idempotency-Key', () => {
    it('given invokeAgent sent twice with one key, then both answer the same id and one invocation is started', async () => {
      const key = randomUUID();
      const first = await invokeRequest(owner, 'Weather in Bergen?', { 'Idempotency-Key': key });
      expect(first.body.errors).toBeUndefined();
      const id = first.body.data.invokeAgent as string;
      // Waiting on the client's tool, the first invocation appends nothing more of its own.
      const sub = await untilToolCall(owner, id);

      const again = await expectAppendsNothing(server, () =>
        invokeRequest(owner, 'Weather in Bergen?', { 'Idempotency-Key': key }),
      );
      expect(again.body).toEqual({ data: { invokeAgent: id } });
      expect((await invokedIds()).filter((i) => i === id)).toHaveLength(1);

      await gql(owner, 'mutation($i: ID!) { closeAgentInvocation(invocationId: $i) }', { i: id });
      await sub.until(() => sub.state.completed, 'the close');
      const afterClose = await expectAppendsNothing(server, () =>
        invokeRequest(owner, 'Weather in Bergen?', { 'Idempotency-Key': key }),
      );
      expect(afterClose.body).toEqual({ data: { invokeAgent: id } });
    });

    it('given the key reused with another message, then a validation error and no new invocation', async () => {
      const key = randomUUID();
      const first = await invokeRequest(owner, 'Weather in Tromso?', { 'Idempotency-Key': key });
      const id = first.body.data.invokeAgent as string;
      const sub = await untilToolCall(owner, id);
      const invoked = await invokedIds();

      const reused = await expectAppendsNothing(server, () =>
        invokeRequest(owner, 'Weather in Stavanger?', { 'Idempotency-Key': key }),
      );
      expect(reused.body.data).toBeNull();
      expect(reused.body.errors).toEqual([
        expect.objectContaining({
          message: 'This Idempotency-Key was already used for a different request.',
          extensions: { code: 'BAD_USER_INPUT' },
        }),
      ]);
      expect(await invokedIds()).toEqual(invoked);

      await gql(owner, 'mutation($i: ID!) { closeAgentInvocation(invocationId: $i) }', { i: id });
      await sub.until(() => sub.state.completed, 'the close');
    });

    it('given the same key from another member, then that member starts an invocation of their own', async () => {
      const key = randomUUID();
      const mine = (await invokeRequest(owner, 'Weather in Oslo?', { 'Idempotency-Key': key })).body.data.invokeAgent;
      const theirs = await invokeRequest(other, 'Weather in Oslo?', { 'Idempotency-Key': key });
      expect(theirs.body.errors).toBeUndefined();
      expect(theirs.body.data.invokeAgent).not.toBe(mine);
      expect(await invokedIds()).toEqual(expect.arrayContaining([mine, theirs.body.data.invokeAgent]));
      for (const [who, id] of [
        [owner, mine],
        [other, theirs.body.data.invokeAgent],
      ] as const) {
        const sub = await untilToolCall(who, id);
        await gql(who, 'mutation($i: ID!) { closeAgentInvocation(invocationId: $i) }', { i: id });
        await sub.until(() => sub.state.completed, 'the close');
      }
    });
  });
});
