/**
 * The GraphQL face of chats: sendChat over HTTP returns the completed chat while chatStream (graphql-ws)
 * carries its tokens; history, list, search, export and feedback beside it.
 */
import { startFakeOpenAi, type FakeLlmServer } from '../support/fake-openai.js';
import { expectAppendsNothing } from '../support/e2e.js';
import { uploadReadyDocument } from '../support/documents.js';
import { closeGraphqlWsClients, connectGraphqlWs, subscribe as subscribeOverWs } from '../support/graphql-ws.js';
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';

const REFUNDS = 'Refund policy. Customers may return any item within thirty days of delivery for a full refund.';
const SHIPPING = 'Shipping. Orders leave our warehouse in Rotterdam every weekday at noon.';
const CHAT_FIELDS =
  'id prompt response workspaceId threadId userId mode feedback comment sources { documentId filename chunk score } createdAt';
const SEND = `mutation Send($input: SendChatInput!) { sendChat(input: $input) { ${CHAT_FIELDS} } }`;

describe('Chats over GraphQL', () => {
  let server: TestServer;
  let fake: FakeLlmServer;
  let handbookRefunds: number; // the id of refunds.md in `handbook`
  let admin: Awaited<ReturnType<typeof registerAndLogin>>;
  let member: Awaited<ReturnType<typeof registerAndLogin>>;
  let outsider: Awaited<ReturnType<typeof registerAndLogin>>;
  let handbook: any;
  let bot: any;

  const gql = (who: { access: string } | null, query: string, variables?: Record<string, unknown>) =>
    api(server, 'POST', '/graphql', { query, variables }, who ? bearer(who.access) : {});

  /** Subscribes to chatStream and resolves once the subscription says it listens. */
  async function subscribe(who: { access: string }, slug: string) {
    const sub = subscribeOverWs(
      connectGraphqlWs(server, { token: who.access }),
      'subscription S($slug: String!) { chatStream(workspaceSlug: $slug) { type token chatId userId error } }',
      { slug },
    );
    const stream = {
      /** The chatStream payloads, in order. */
      get events(): any[] {
        return sub.results.filter((m) => m.data).map((m) => m.data.chatStream);
      },
      /** GraphQL errors of the payloads, then what ended the subscription, if anything did. */
      get errors(): any[] {
        return [...sub.results.flatMap((m) => m.errors ?? []), ...(sub.state.error ? [sub.state.error] : [])];
      },
      until: (test: () => boolean) => sub.until(test, 'chatStream frames', 15_000),
    };
    await stream.until(() => stream.events.length > 0 || stream.errors.length > 0);
    return stream;
  }

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    server = await startTestServer({ OPENAI_BASE_URL: fake.url, RATE_LIMIT_UPLOAD_PER_MIN: '1000' });
    admin = await registerAndLogin(server, 'gql_admin');
    member = await registerAndLogin(server, 'gql_member');
    outsider = await registerAndLogin(server, 'gql_outsider');
    handbook = (await api(server, 'POST', '/api/workspaces/', { name: 'GQL Handbook' }, bearer(admin.access))).body;
    bot = (
      await api(
        server,
        'POST',
        '/api/workspaces/',
        { name: 'GQL Bot', chat_provider: 'openai', chat_model: 'gql-model', openai_temp: 0.1 },
        bearer(admin.access),
      )
    ).body;
    for (const ws of [handbook, bot]) {
      await api(
        server,
        'POST',
        `/api/workspaces/${ws.slug}/add_user/`,
        { user_id: member.user.id },
        bearer(admin.access),
      );
      const refunds = await uploadReadyDocument(server, admin.access, ws.id, 'refunds.md', REFUNDS);
      if (ws === handbook) handbookRefunds = refunds;
      await uploadReadyDocument(server, admin.access, ws.id, 'shipping.md', SHIPPING);
    }
  }, 60_000);

  afterAll(async () => {
    await closeGraphqlWsClients();
    await server?.close();
    await fake?.close();
  });

  it('sendChat returns the completed, grounded chat while chatStream carries its tokens in order', async () => {
    const stream = await subscribe(member, handbook.slug);
    expect(stream.events[0]).toEqual({ type: 'ready', token: null, chatId: null, userId: null, error: null });
    const sent = await gql(member, SEND, {
      input: { workspaceSlug: handbook.slug, message: 'How many days do I have to return an item?' },
    });
    expect(sent.body.errors).toBeUndefined();
    const chat = sent.body.data.sendChat;
    expect(chat).toMatchObject({
      prompt: 'How many days do I have to return an item?',
      workspaceId: String(handbook.id),
      threadId: null,
      userId: String(member.user.id),
      mode: 'chat',
      feedback: null,
      comment: null,
      sources: [{ documentId: String(handbookRefunds), filename: 'refunds.md', chunk: 0, score: expect.any(Number) }],
    });
    expect(chat.response).toContain('within thirty days of delivery');
    await stream.until(() => stream.events.some((e) => e.type === 'complete'));
    const ours = stream.events.filter((e) => e.chatId === chat.id);
    expect(ours[0]).toMatchObject({ type: 'start', userId: String(member.user.id) });
    expect(ours.at(-1)).toMatchObject({ type: 'complete' });
    expect(
      ours
        .filter((e) => e.type === 'token')
        .map((e) => e.token)
        .join(''),
    ).toBe(chat.response);
  });

  it("passes the workspace's model and temperature to the OpenAI-compatible endpoint", async () => {
    fake.set({ tokens: ['Thirty', ' days.'] });
    const sent = await gql(member, SEND, {
      input: { workspaceSlug: bot.slug, message: 'How many days do I have to return an item?' },
    });
    expect(sent.body.data.sendChat.response).toBe('Thirty days.');
    expect(fake.requests.at(-1)!.body).toMatchObject({ model: 'gql-model', temperature: 0.1 });
    expect(fake.requests.at(-1)!.body.messages[0].content).toContain('within thirty days of delivery');
  });

  it('gives a clean error for a provider failure, and chatStream an error event', async () => {
    const stream = await subscribe(member, bot.slug);
    fake.set({ status: 500, errorMessage: 'boom' });
    const sent = await gql(member, SEND, { input: { workspaceSlug: bot.slug, message: 'What is the refund period?' } });
    fake.set({ status: null });
    expect(sent.body.data).toBeNull();
    expect(sent.body.errors[0].extensions.code).toBe('CHAT_FAILED');
    expect(JSON.stringify(sent.body.errors)).not.toMatch(/\.[jt]s:\d+/);
    await stream.until(() => stream.events.some((e) => e.type === 'error'));
    expect(stream.events.find((e) => e.type === 'error')!.error).toBe(sent.body.errors[0].message);
  });

  /** Resolves once `upstream` is over; rejects should the model call keep running. */
  async function endOf(upstream: { finished: Promise<void> }) {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error('the model call was not cancelled')), 10_000)),
    );
    try {
      await Promise.race([upstream.finished, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits until the newest chat-* event is of `type`. */
  async function chatEndsWith(type: string) {
    for (let i = 0; i < 200; i++) {
      const last = (await server.deps.store.readAll({})).filter((e) => e.streamName.startsWith('chat-')).at(-1);
      if (last?.type === type) return last;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no ${type}`);
  }

  it('cancels the model call when the HTTP client of sendChat goes away', async () => {
    const stream = await subscribe(member, bot.slug);
    fake.set({ stallAfter: 1, tokens: ['first ', 'second'] });
    const asked = fake.requests.length;
    const client = new AbortController();
    const sent = fetch(`${server.url}/graphql`, {
      method: 'POST',
      signal: client.signal,
      headers: { 'Content-Type': 'application/json', ...bearer(member.access) },
      body: JSON.stringify({
        query: SEND,
        variables: { input: { workspaceSlug: bot.slug, message: 'Tell me about refunds' } },
      }),
    });
    sent.catch(() => {});
    await stream.until(() => stream.events.some((e) => e.type === 'token' && e.token === 'first '));
    client.abort();
    const upstream = fake.requests[asked];
    await endOf(upstream);
    fake.set({ stallAfter: null, tokens: ['Hello', ',', ' world', '!'] });
    expect(upstream.aborted).toBe(true);
    // Recorded as cancelled, not completed with half an answer.
    expect((await chatEndsWith('ChatFailed')).data).toMatchObject({ reason: expect.stringMatching(/^Cancelled/) });
  });

  it('cancels the model call of a sendChat sent over graphql-ws when its socket closes', async () => {
    const stream = await subscribe(member, bot.slug);
    fake.set({ stallAfter: 1, tokens: ['first ', 'second'] });
    const asked = fake.requests.length;
    const client = connectGraphqlWs(server, { token: member.access });
    subscribeOverWs(client, SEND, { input: { workspaceSlug: bot.slug, message: 'Tell me about refunds' } });
    await stream.until(() => stream.events.some((e) => e.type === 'token' && e.token === 'first '));
    await client.dispose();
    const upstream = fake.requests[asked];
    await endOf(upstream);
    fake.set({ stallAfter: null, tokens: ['Hello', ',', ' world', '!'] });
    expect(upstream.aborted).toBe(true);
  });

  it('refuses non-members: chatStream and sendChat say not found, appending nothing', async () => {
    const stream = await subscribe(outsider, handbook.slug);
    expect(stream.events).toEqual([]);
    expect(stream.errors[0].extensions?.code ?? stream.errors[0].message).toMatch(/NOT_FOUND|Not found/);
    const sent = await expectAppendsNothing(server, () =>
      gql(outsider, SEND, { input: { workspaceSlug: handbook.slug, message: 'hi' } }),
    );
    expect(sent.body.errors[0].extensions.code).toBe('NOT_FOUND');
    const blank = await expectAppendsNothing(server, () =>
      gql(member, SEND, { input: { workspaceSlug: handbook.slug, message: '' } }),
    );
    expect(blank.body.errors[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fieldErrors: { message: [expect.any(String)] },
    });
  });

  it('answers chatHistory, chats, searchChats, exportChats and submitFeedback', async () => {
    const sent = (
      await gql(member, SEND, {
        input: { workspaceSlug: handbook.slug, message: 'When do orders leave the warehouse?' },
      })
    ).body.data.sendChat;
    const history = await gql(member, `query H($ws: ID!) { chatHistory(workspaceId: $ws, limit: 10) { id prompt } }`, {
      ws: handbook.id,
    });
    expect(history.body.data.chatHistory.map((c: any) => c.id)).toContain(sent.id);

    const list = await gql(
      member,
      `query L($ws: ID!) { chats(workspaceId: $ws, search: "warehouse") { id response } }`,
      { ws: handbook.id },
    );
    expect(list.body.data.chats.map((c: any) => c.id)).toEqual([sent.id]);
    expect((await gql(outsider, '{ chats { id } }')).body.data.chats).toEqual([]);

    const found = await gql(
      member,
      `query S($ws: ID) { searchChats(query: "Rotterdam", workspaceId: $ws, searchIn: ["response"]) { id } }`,
      { ws: handbook.id },
    );
    expect(found.body.data.searchChats.map((c: any) => c.id)).toContain(sent.id);
    const notInPrompt = await gql(member, '{ searchChats(query: "Rotterdam", searchIn: ["prompt"]) { id } }');
    expect(notInPrompt.body.data.searchChats).toEqual([]);

    const csv = await gql(
      member,
      `query E($ws: ID) { exportChats(format: "csv", workspaceId: $ws) { filename contentType encoding content } }`,
      { ws: handbook.id },
    );
    expect(csv.body.data.exportChats).toMatchObject({
      contentType: expect.stringMatching(/^text\/csv/),
      encoding: 'utf8',
      filename: expect.stringMatching(/\.csv$/),
    });
    expect(csv.body.data.exportChats.content).toContain('When do orders leave the warehouse?');
    const pdf = await gql(member, '{ exportChats(format: "pdf") { encoding content } }');
    expect(pdf.body.data.exportChats.encoding).toBe('base64');
    expect(Buffer.from(pdf.body.data.exportChats.content, 'base64').subarray(0, 5).toString()).toBe('%PDF-');

    const rated = await gql(
      member,
      `mutation F($id: ID!) { submitFeedback(chatId: $id, feedback: true, comment: "Spot on") { id feedback comment } }`,
      { id: sent.id },
    );
    expect(rated.body.data.submitFeedback).toEqual({ id: sent.id, feedback: true, comment: 'Spot on' });
  });
});
