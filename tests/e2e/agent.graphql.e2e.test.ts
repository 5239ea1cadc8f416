/**
 * The GraphQL twin of the Agent WebSocket: invokeAgent over HTTP returns the invocation id, the
 * agentInvocation subscription (graphql-ws) replays the frames recorded before it subscribed (a pending
 * tool_call included) and follows live; respondToToolCall and closeAgentInvocation act on one's own.
 */
import { agentTurnOf, type FakeLlmServer, startFakeAgentOpenAi } from '../support/fake-agent-providers.js';
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
  let owner: Session;
  let other: Session;
  let workspace: any;
  const gql = (who: Session, query: string, variables?: Record<string, unknown>) =>
    api(server, 'POST', '/graphql', { query, variables }, bearer(who.access));
  const invoke = async (who: Session, message: string) => {
    const res = await gql(who, 'mutation($input: InvokeAgentInput!) { invokeAgent(input: $input) }', {
      input: { workspaceSlug: workspace.slug, message, tools: [weatherTool] },
    });
    expect(res.body.errors).toBeUndefined();
    return res.body.data.invokeAgent as string;
  };
  const follow = (who: Session, id: string) =>
    subscribe(
      connectGraphqlWs(server, { token: who.access }),
      `subscription($id: ID!) { agentInvocation(invocationId: $id) { ${FRAME} } }`,
      { id },
    );

  beforeAll(async () => {
    openai = await startFakeAgentOpenAi((seen) =>
      seen.turn === 0
        ? { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }
        : { text: `The weather: ${seen.toolResults.at(-1)?.content}` },
    );
    server = await startTestServer({ OPENAI_BASE_URL: openai.url });
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
  });

  it('runs a client tool round trip: a late subscriber gets the pending tool_call, then the rest live', async () => {
    const id = await invoke(owner, 'Weather in Oslo?');
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
    expect(agentTurnOf(openai.requests.at(-1)!).toolResults).toEqual([
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
      w: String(workspace.id),
    });
    expect(listed.body.data.agentInvocations.map((i: any) => i.id)).toContain(id);
  });

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
});
