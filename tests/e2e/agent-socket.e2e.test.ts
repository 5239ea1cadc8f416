import { ChatSocketClient } from '../support/chat-socket.js';
import { uploadReadyDocument } from '../support/documents.js';
import { appendedSince } from '../support/e2e.js';
import {
  agentTurnOf,
  type FakeLlmServer,
  startFakeAgentAnthropic,
  startFakeAgentOpenAi,
} from '../support/fake-agent-providers.js';
import { api, bearer, registerAndLogin, type Session, startTestServer, type TestServer } from '../support/server.js';

const REFUNDS = 'Refund policy. Customers may return any item within thirty days of delivery for a full refund.';
const SHIPPING = 'Shipping. Orders leave our warehouse in Rotterdam every weekday at noon.';
const weatherTool = {
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
/** A model that asks the client for the weather, then answers with what the client said. */
const weatherScript = (seen: { turn: number; lastUserMessage: string; toolResults: { content: string }[] }) => {
  // "Read document N": the server's document tools, then an answer quoting what they gave.
  const read = /^Read document (\d+)/.exec(seen.lastUserMessage);
  if (read)
    return seen.turn === 0
      ? {
          toolCalls: [
            { name: 'list_documents', arguments: {} },
            { name: 'read_document', arguments: { document_id: Number(read[1]) } },
          ],
        }
      : { text: seen.toolResults.map((r) => r.content).join('\n') };
  return seen.turn === 0
    ? { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }
    : { text: `The weather: ${seen.toolResults.at(-1)?.content}` };
};

const sockets: ChatSocketClient[] = [];
async function connect(server: TestServer, slug: string, token: string | null) {
  const socket = await ChatSocketClient.connectTo(server.url, `/ws/agent/${slug}/`, token);
  sockets.push(socket);
  return socket;
}

/** Sends `invoke` and waits for invocation_started (or an error); answers the invocation id. */
async function invoke(socket: ChatSocketClient, frame: Record<string, unknown>): Promise<string> {
  const from = socket.frames.length;
  socket.send({ type: 'invoke', ...frame });
  const first = await socket.next(
    (f) => socket.frames.indexOf(f) >= from && (f.type === 'invocation_started' || f.type === 'error'),
  );
  if (first.type === 'error') throw new Error(`invoke refused: ${first.error}`);
  return first.invocation_id;
}

const closedFrame = (socket: ChatSocketClient, id: string) =>
  socket.next((f) => f.type === 'invocation_closed' && f.invocation_id === id);
const framesOf = (socket: ChatSocketClient, id: string) => socket.frames.filter((f) => f.invocation_id === id);

/** Event types of an invocation's stream, in order. */
async function streamTypes(server: TestServer, id: string) {
  return (await server.deps.store.readStream(`agent-${id}`)).map((e) => e.type);
}

afterEach(async () => {
  for (const s of sockets.splice(0)) await s.close();
});

describe('Agent WebSocket /ws/agent/{slug}/', () => {
  let server: TestServer;
  let openai: FakeLlmServer;
  let anthropic: FakeLlmServer;
  let admin: Session;
  let member: Session;
  let colleague: Session;
  let outsider: Session;
  let offline: any;
  let viaOpenAi: any;
  let viaAnthropic: any;
  let shippingInBot: number;
  let refundsElsewhere: number;

  beforeAll(async () => {
    openai = await startFakeAgentOpenAi(weatherScript);
    anthropic = await startFakeAgentAnthropic(weatherScript);
    server = await startTestServer({
      OPENAI_BASE_URL: openai.url,
      ANTHROPIC_API_KEY: 'test-key',
      ANTHROPIC_BASE_URL: anthropic.url,
      RATE_LIMIT_UPLOAD_PER_MIN: '1000',
    });
    admin = await registerAndLogin(server, 'agent_admin');
    member = await registerAndLogin(server, 'agent_member');
    colleague = await registerAndLogin(server, 'agent_colleague');
    outsider = await registerAndLogin(server, 'agent_outsider');
    const workspace = async (body: Record<string, unknown>) =>
      (await api(server, 'POST', '/api/workspaces/', body, bearer(admin.access))).body;
    offline = await workspace({ name: 'Agent Handbook' });
    viaOpenAi = await workspace({ name: 'Agent OpenAI', chat_provider: 'openai', chat_model: 'agent-model' });
    viaAnthropic = await workspace({ name: 'Agent Anthropic', chat_provider: 'anthropic', chat_model: 'agent-model' });
    for (const ws of [offline, viaOpenAi, viaAnthropic])
      for (const user of [member, colleague])
        await api(
          server,
          'POST',
          `/api/workspaces/${ws.slug}/add_user/`,
          { user_id: user.user.id },
          bearer(admin.access),
        );
    await uploadReadyDocument(server, admin.access, offline.id, 'refunds.md', REFUNDS);
    shippingInBot = await uploadReadyDocument(server, admin.access, viaOpenAi.id, 'shipping.md', SHIPPING);
    refundsElsewhere = await uploadReadyDocument(server, admin.access, viaAnthropic.id, 'refunds.md', REFUNDS);
    await uploadReadyDocument(server, admin.access, offline.id, 'shipping.md', SHIPPING);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await openai?.close();
    await anthropic?.close();
  });

  it.each([
    ['an OpenAI-compatible endpoint', () => viaOpenAi, () => openai],
    ['an Anthropic endpoint', () => viaAnthropic, () => anthropic],
  ])('runs a client tool round trip against %s', async (_what, workspace, model) => {
    const socket = await connect(server, workspace().slug, member.access);
    const id = await invoke(socket, { message: 'What is the weather in Oslo?', tools: [weatherTool] });
    const call = await socket.next((f) => f.type === 'tool_call' && f.invocation_id === id);
    expect(call).toEqual({
      type: 'tool_call',
      invocation_id: id,
      call_id: expect.any(String),
      name: 'get_weather',
      arguments: { city: 'Oslo' },
    });
    socket.send({ type: 'tool_response', invocation_id: id, call_id: call.call_id, result: 'sunny, 21 °C' });
    await closedFrame(socket, id);
    expect(framesOf(socket, id).map((f) => f.type)).toEqual([
      'invocation_started',
      'tool_call',
      'agent_message',
      'invocation_closed',
    ]);
    expect(framesOf(socket, id)[2]).toEqual({
      type: 'agent_message',
      invocation_id: id,
      content: 'The weather: sunny, 21 °C',
      final: true,
    });
    expect(framesOf(socket, id)[3]).toEqual({ type: 'invocation_closed', invocation_id: id, reason: 'completed' });
    // The model was offered the server tools and the client's, and got the client's answer back.
    const last = model().requests.at(-1)!;
    expect(agentTurnOf(last).tools).toEqual(['search_documents', 'list_documents', 'read_document', 'get_weather']);
    expect(agentTurnOf(last).toolResults).toEqual([{ callId: call.call_id, content: 'sunny, 21 °C', isError: false }]);
    expect(await streamTypes(server, id)).toEqual([
      'AgentInvoked',
      'AgentToolCalled',
      'AgentToolResponded',
      'AgentMessageSent',
      'AgentInvocationClosed',
    ]);
  });

  it('answers offline with the extractive agent, from the workspace documents, naming the server tool it ran', async () => {
    const socket = await connect(server, offline.slug, member.access);
    const id = await invoke(socket, { message: 'How many days do I have to return an item?' });
    expect((await closedFrame(socket, id)).reason).toBe('completed');
    const messages = framesOf(socket, id).filter((f) => f.type === 'agent_message');
    expect(messages[0]).toEqual({
      type: 'agent_message',
      invocation_id: id,
      content: expect.stringMatching(/^search_documents: found \d+ passages?\.$/),
      final: false,
    });
    expect(messages.at(-1)).toMatchObject({ final: true, content: expect.stringContaining('within thirty days') });
    const [, called, responded] = await server.deps.store.readStream(`agent-${id}`);
    expect(called.data).toMatchObject({ name: 'search_documents', side: 'server' });
    const result = JSON.parse((responded.data as any).result);
    expect(result.results[0]).toEqual({
      document_id: expect.any(Number),
      filename: 'refunds.md',
      chunk: 0,
      text: REFUNDS,
      score: expect.any(Number),
    });
  });

  it("lists and reads the workspace's documents with the server tools, never another workspace's", async () => {
    const socket = await connect(server, viaOpenAi.slug, member.access);
    const id = await invoke(socket, { message: `Read document ${shippingInBot}` });
    expect((await closedFrame(socket, id)).reason).toBe('completed');
    const [listed, read] = agentTurnOf(openai.requests.at(-1)!).toolResults.map((r) => JSON.parse(r.content));
    expect(listed).toEqual({
      documents: [{ document_id: shippingInBot, filename: 'shipping.md', status: 'ready', chunk_count: 1 }],
    });
    expect(read).toEqual({ document_id: shippingInBot, filename: 'shipping.md', text: SHIPPING, truncated: false });
    expect(
      framesOf(socket, id)
        .filter((f) => f.type === 'agent_message' && !f.final)
        .map((f) => f.content),
    ).toEqual(['list_documents: 1 document.', 'read_document: read shipping.md.']);

    const elsewhere = await invoke(socket, { message: `Read document ${refundsElsewhere}` });
    await closedFrame(socket, elsewhere);
    expect(agentTurnOf(openai.requests.at(-1)!).toolResults[1]).toMatchObject({
      content: expect.stringContaining(`No ready document ${refundsElsewhere} in this workspace.`),
    });
  });

  it('accepts an API key as the token, and refuses a bad token (401) or a workspace one may not see (404)', async () => {
    const key = (await api(server, 'POST', '/api/keys/api-keys/generate/', undefined, bearer(admin.access))).body.key;
    const socket = await connect(server, offline.slug, key);
    const id = await invoke(socket, { message: 'Where do orders ship from?' });
    expect((await closedFrame(socket, id)).reason).toBe('completed');
    await expect(connect(server, offline.slug, 'not-a-token')).rejects.toMatchObject({ status: 401 });
    await expect(connect(server, offline.slug, null)).rejects.toMatchObject({ status: 401 });
    await expect(connect(server, offline.slug, outsider.access)).rejects.toMatchObject({ status: 404 });
    await expect(connect(server, 'no-such-workspace', member.access)).rejects.toMatchObject({ status: 404 });
  });

  it('answers bad frames with an error frame, records nothing, and keeps the socket open', async () => {
    const socket = await connect(server, offline.slug, member.access);
    const before = await server.head();
    const errorAfter = async (frame: unknown) => {
      const from = socket.frames.length;
      socket.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
      return (await socket.next((f) => socket.frames.indexOf(f) >= from && f.type === 'error')).error;
    };
    expect(await errorAfter('not json')).toBe('Messages must be JSON objects.');
    expect(await errorAfter([1, 2])).toBe('Messages must be JSON objects.');
    expect(await errorAfter('null')).toBe('Messages must be JSON objects.');
    expect(await errorAfter({ type: 'dance' })).toMatch(/Unknown message type/);
    expect(await errorAfter({ type: 'invoke' })).toMatch(/message/);
    expect(await errorAfter({ type: 'invoke', message: 'x', tools: [{ ...weatherTool, name: 'bad name' }] })).toMatch(
      /tools\[0\]\.name/,
    );
    expect(
      await errorAfter({ type: 'invoke', message: 'x', tools: [{ ...weatherTool, name: 'read_document' }] }),
    ).toMatch(/server tool/);
    expect(
      await errorAfter({ type: 'invoke', message: 'x', tools: [{ ...weatherTool, parameters: { type: 'string' } }] }),
    ).toMatch(/JSON Schema object/);
    expect(await errorAfter({ type: 'invoke', message: 'x', tools: [weatherTool, weatherTool] })).toMatch(/twice/);
    expect(await errorAfter({ type: 'tool_response', invocation_id: 'nope', call_id: 'c', result: 1 })).toBe(
      'No invocation of this socket has this id.',
    );
    expect(await errorAfter({ type: 'close', invocation_id: 'nope' })).toBe(
      'No invocation of this socket has this id.',
    );
    expect(await appendedSince(server, before)).toEqual([]);
    // Still open and working.
    const id = await invoke(socket, { message: 'Where do orders ship from?' });
    expect((await closedFrame(socket, id)).reason).toBe('completed');
  });

  it("refuses an unknown call id and an answer to someone else's invocation, leaving the invocation running", async () => {
    const socket = await connect(server, viaOpenAi.slug, member.access);
    const other = await connect(server, viaOpenAi.slug, colleague.access);
    const id = await invoke(socket, { message: 'Weather?', tools: [weatherTool] });
    const call = await socket.next((f) => f.type === 'tool_call' && f.invocation_id === id);
    socket.send({ type: 'tool_response', invocation_id: id, call_id: 'not-a-call', result: 'x' });
    expect(await socket.next((f) => f.type === 'error' && f.invocation_id === id)).toEqual({
      type: 'error',
      invocation_id: id,
      error: 'No pending call of this invocation has this id.',
    });
    other.send({ type: 'tool_response', invocation_id: id, call_id: call.call_id, result: 'hijacked' });
    other.send({ type: 'close', invocation_id: id });
    await other.next(() => other.frames.filter((f) => f.type === 'error').length === 2);
    expect(other.frames).toEqual([
      { type: 'error', invocation_id: id, error: 'No invocation of this socket has this id.' },
      { type: 'error', invocation_id: id, error: 'No invocation of this socket has this id.' },
    ]);
    socket.send({ type: 'tool_response', invocation_id: id, call_id: call.call_id, result: 'rain' });
    await closedFrame(socket, id);
    expect(framesOf(socket, id).find((f) => f.final)).toMatchObject({ content: 'The weather: rain' });
  });

  it('runs several invocations at once on one socket; close without an id cancels them all', async () => {
    const socket = await connect(server, viaOpenAi.slug, member.access);
    const first = await invoke(socket, { message: 'Weather one?', tools: [weatherTool] });
    const second = await invoke(socket, { message: 'Weather two?', tools: [weatherTool] });
    await socket.next((f) => f.type === 'tool_call' && f.invocation_id === first);
    await socket.next((f) => f.type === 'tool_call' && f.invocation_id === second);
    socket.send({ type: 'close' });
    expect((await closedFrame(socket, first)).reason).toBe('closed');
    expect((await closedFrame(socket, second)).reason).toBe('closed');
    for (const id of [first, second])
      expect((await streamTypes(server, id)).slice(-2)).toEqual(['AgentToolResponded', 'AgentInvocationClosed']);
  });

  it('a client that disconnects mid-invocation leaves it closed with reason closed, its pending call cancelled', async () => {
    const socket = await connect(server, viaOpenAi.slug, member.access);
    const id = await invoke(socket, { message: 'Weather?', tools: [weatherTool] });
    await socket.next((f) => f.type === 'tool_call' && f.invocation_id === id);
    await socket.close();
    let events: any[] = [];
    for (let i = 0; i < 200 && events.at(-1)?.type !== 'AgentInvocationClosed'; i++) {
      events = await server.deps.store.readStream(`agent-${id}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(events.slice(-2).map((e) => [e.type, e.data.error ?? e.data.reason])).toEqual([
      ['AgentToolResponded', 'Cancelled: the invocation closed before this call was answered.'],
      ['AgentInvocationClosed', 'closed'],
    ]);
  });

  it('cuts off a user suspended while connected: the next frame closes the socket (4401), its invocation closed', async () => {
    const user = await registerAndLogin(server, { prefix: 'agent_suspended' });
    await api(
      server,
      'POST',
      `/api/workspaces/${viaOpenAi.slug}/add_user/`,
      { user_id: user.user.id },
      bearer(admin.access),
    );
    const socket = await connect(server, viaOpenAi.slug, user.access);
    const id = await invoke(socket, { message: 'Weather?', tools: [weatherTool] });
    const call = await socket.next((f) => f.type === 'tool_call' && f.invocation_id === id);
    const closed = new Promise<number>((resolve) => socket.ws.once('close', (code) => resolve(code)));
    const suspended = await api(
      server,
      'PATCH',
      `/api/users/${user.user.id}/`,
      { suspended: true },
      bearer(admin.access),
    );
    expect(suspended.status).toBe(200);
    socket.send({ type: 'tool_response', invocation_id: id, call_id: call.call_id, result: 'sunny' });
    expect(await closed).toBe(4401);
    let events: any[] = [];
    for (let i = 0; i < 200 && events.at(-1)?.type !== 'AgentInvocationClosed'; i++) {
      events = await server.deps.store.readStream(`agent-${id}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    // The answer sent after the suspension was not taken: the call ends cancelled with the invocation.
    expect(events.slice(-2).map((e) => [e.type, e.data.result ?? e.data.error ?? e.data.reason])).toEqual([
      ['AgentToolResponded', 'Cancelled: the invocation closed before this call was answered.'],
      ['AgentInvocationClosed', 'closed'],
    ]);
  });

  it('shows the invocation with its steps in order over REST: members their own, admins all', async () => {
    const socket = await connect(server, viaOpenAi.slug, member.access);
    const id = await invoke(socket, { message: 'Weather for the record?', tools: [weatherTool] });
    const call = await socket.next((f) => f.type === 'tool_call' && f.invocation_id === id);
    socket.send({ type: 'tool_response', invocation_id: id, call_id: call.call_id, result: 'snow' });
    await closedFrame(socket, id);

    let got = await api(server, 'GET', `/api/agents/invocations/${id}/`, undefined, bearer(member.access));
    for (let i = 0; i < 100 && got.body?.status !== 'closed'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      got = await api(server, 'GET', `/api/agents/invocations/${id}/`, undefined, bearer(member.access));
    }
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      id,
      workspace: viaOpenAi.id,
      user: member.user.id,
      message: 'Weather for the record?',
      tools: [weatherTool],
      status: 'closed',
      reason: 'completed',
      step_count: 2,
      tokens: { input: expect.any(Number), output: expect.any(Number) },
      error: null,
    });
    expect(got.body.steps).toEqual([
      expect.objectContaining({
        kind: 'tool_call',
        call_id: call.call_id,
        name: 'get_weather',
        arguments: { city: 'Oslo' },
        side: 'client',
        step: 1,
      }),
      expect.objectContaining({
        kind: 'tool_response',
        call_id: call.call_id,
        result: 'snow',
        error: null,
        truncated: false,
      }),
      expect.objectContaining({ kind: 'message', content: 'The weather: snow', final: true, tool: null, step: 2 }),
    ]);

    const mine = await api(
      server,
      'GET',
      `/api/agents/invocations/?workspace_id=${viaOpenAi.id}`,
      undefined,
      bearer(member.access),
    );
    expect(mine.status).toBe(200);
    expect(mine.body.map((i: any) => i.id)).toContain(id);
    expect(mine.body.every((i: any) => i.user === member.user.id && i.workspace === viaOpenAi.id)).toBe(true);
    expect(mine.body[0].steps).toBeUndefined();
    const paged = await api(server, 'GET', `/api/agents/invocations/?limit=1`, undefined, bearer(member.access));
    expect(paged.body).toMatchObject({ count: expect.any(Number), results: [expect.any(Object)] });

    const theirs = await api(server, 'GET', `/api/agents/invocations/${id}/`, undefined, bearer(colleague.access));
    expect(theirs).toMatchObject({ status: 404, body: { detail: 'Not found.' } });
    const colleagueList = await api(server, 'GET', '/api/agents/invocations/', undefined, bearer(colleague.access));
    expect(colleagueList.body.map((i: any) => i.id)).not.toContain(id);
    const asAdmin = await api(server, 'GET', `/api/agents/invocations/${id}/`, undefined, bearer(admin.access));
    expect(asAdmin.status).toBe(200);
    expect(
      (await api(server, 'GET', '/api/agents/invocations/not-an-id/', undefined, bearer(admin.access))).status,
    ).toBe(404);
    expect((await api(server, 'GET', '/api/agents/invocations/')).status).toBe(401);
  });

  it('shows every step in the event logs under the agent_* names', async () => {
    const socket = await connect(server, viaOpenAi.slug, member.access);
    const id = await invoke(socket, { message: 'Weather for the log?', tools: [weatherTool] });
    const call = await socket.next((f) => f.type === 'tool_call' && f.invocation_id === id);
    socket.send({ type: 'tool_response', invocation_id: id, call_id: call.call_id, result: 'fog' });
    await closedFrame(socket, id);
    for (const name of [
      'agent_invoked',
      'agent_tool_called',
      'agent_tool_responded',
      'agent_message',
      'agent_invocation_closed',
    ]) {
      const logs = await api(server, 'GET', `/api/system/event-logs/?event=${name}`, undefined, bearer(admin.access));
      expect(logs.status).toBe(200);
      const list = Array.isArray(logs.body) ? logs.body : logs.body.results;
      expect(list.filter((entry: any) => entry.metadata.invocation_id === id)).toContainEqual(
        expect.objectContaining({ event: name, user_id: member.user.id }),
      );
    }
  });
});

describe('Agent WebSocket with a short AGENT_TOOL_TIMEOUT_MS', () => {
  let server: TestServer;
  let openai: FakeLlmServer;
  let member: Session;
  let workspace: any;

  beforeAll(async () => {
    openai = await startFakeAgentOpenAi(weatherScript);
    server = await startTestServer({ OPENAI_BASE_URL: openai.url, AGENT_TOOL_TIMEOUT_MS: '200' });
    member = await registerAndLogin(server, 'agent_timeout_admin');
    workspace = (
      await api(
        server,
        'POST',
        '/api/workspaces/',
        { name: 'Agent Timeout', chat_provider: 'openai' },
        bearer(member.access),
      )
    ).body;
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await openai?.close();
  });

  it('gives an unanswered client call back to the model as a failed tool result', async () => {
    const socket = await connect(server, workspace.slug, member.access);
    const id = await invoke(socket, { message: 'Weather?', tools: [weatherTool] });
    const call = await socket.next((f) => f.type === 'tool_call' && f.invocation_id === id);
    expect((await closedFrame(socket, id)).reason).toBe('completed');
    // The OpenAI wire format has no error flag: the adapter marks the content instead.
    expect(agentTurnOf(openai.requests.at(-1)!).toolResults).toEqual([
      {
        callId: call.call_id,
        content: expect.stringContaining('The client did not answer this call within 200 ms.'),
        isError: false,
      },
    ]);
    const responded = (await server.deps.store.readStream(`agent-${id}`)).find((e) => e.type === 'AgentToolResponded');
    expect(responded?.data).toMatchObject({
      result: null,
      error: 'The client did not answer this call within 200 ms.',
    });
    // Answering late is refused: the call is no longer pending.
    socket.send({ type: 'tool_response', invocation_id: id, call_id: call.call_id, result: 'late' });
    expect(await socket.next((f) => f.type === 'error')).toMatchObject({ invocation_id: id });
  });
});
