import { ChatSocketClient } from '../support/chat-socket.js';
import { startFakeOpenAi, type FakeLlmServer } from '../support/fake-openai.js';
import { appendedSince } from '../support/e2e.js';
import { uploadReadyDocument } from '../support/documents.js';
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';

const REFUNDS = 'Refund policy. Customers may return any item within thirty days of delivery for a full refund.';
const SHIPPING = 'Shipping. Orders leave our warehouse in Rotterdam every weekday at noon.';

describe('Chat WebSocket /ws/chat/{slug}/', () => {
  let server: TestServer;
  let fake: FakeLlmServer;
  let admin: Awaited<ReturnType<typeof registerAndLogin>>;
  let member: Awaited<ReturnType<typeof registerAndLogin>>;
  let colleague: Awaited<ReturnType<typeof registerAndLogin>>;
  let outsider: Awaited<ReturnType<typeof registerAndLogin>>;
  let handbook: any;
  let bot: any;
  const sockets: ChatSocketClient[] = [];
  const connect = async (slug: string, token: string | null) => {
    const socket = await ChatSocketClient.connect(server.url, slug, token);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    server = await startTestServer({ OPENAI_BASE_URL: fake.url, RATE_LIMIT_UPLOAD_PER_MIN: '1000' });
    admin = await registerAndLogin(server, 'ws_admin');
    member = await registerAndLogin(server, 'ws_member');
    colleague = await registerAndLogin(server, 'ws_colleague');
    outsider = await registerAndLogin(server, 'ws_outsider');
    handbook = (await api(server, 'POST', '/api/workspaces/', { name: 'WS Handbook' }, bearer(admin.access))).body;
    bot = (
      await api(
        server,
        'POST',
        '/api/workspaces/',
        { name: 'WS Bot', chat_provider: 'openai', chat_model: 'ws-model' },
        bearer(admin.access),
      )
    ).body;
    for (const ws of [handbook, bot]) {
      for (const user of [member, colleague])
        await api(
          server,
          'POST',
          `/api/workspaces/${ws.slug}/add_user/`,
          { user_id: user.user.id },
          bearer(admin.access),
        );
      await uploadReadyDocument(server, admin.access, ws.id, 'refunds.md', REFUNDS);
      await uploadReadyDocument(server, admin.access, ws.id, 'shipping.md', SHIPPING);
    }
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) await s.close();
    await server?.close();
    await fake?.close();
  });

  it('streams a grounded answer: chat_start, chat_token..., chat_complete with the chat id', async () => {
    const socket = await connect(handbook.slug, member.access);
    const { start, tokens, end } = await socket.chat({
      message: 'How many days do I have to return an item?',
      attachments: [],
    });
    expect(start).toEqual({ type: 'chat_start', id: expect.any(String) });
    expect(tokens.length).toBeGreaterThan(3);
    expect(tokens.join('')).toContain('within thirty days of delivery');
    expect(end).toEqual({ type: 'chat_complete', id: start.id, chat_id: expect.any(Number) });
    const chat = await api(server, 'GET', `/api/chats/${end.chat_id}/`, undefined, bearer(member.access));
    expect(chat.body).toMatchObject({
      response: tokens.join(''),
      workspace: handbook.id,
      user: member.user.id,
      sources: [expect.objectContaining({ filename: 'refunds.md' })],
    });
  });

  it('refuses a bad token (401) and a non-member or unknown workspace (404) at the handshake', async () => {
    await expect(ChatSocketClient.connect(server.url, handbook.slug, 'not-a-jwt')).rejects.toMatchObject({
      status: 401,
    });
    await expect(ChatSocketClient.connect(server.url, handbook.slug, null)).rejects.toMatchObject({ status: 401 });
    await expect(ChatSocketClient.connect(server.url, handbook.slug, outsider.access)).rejects.toMatchObject({
      status: 404,
    });
    await expect(ChatSocketClient.connect(server.url, 'no-such-workspace', member.access)).rejects.toMatchObject({
      status: 404,
    });
    await expect(ChatSocketClient.connect(server.url, '%zz', member.access)).rejects.toMatchObject({ status: 404 }); // a malformed escape names no workspace
  });

  it('relays typing to the other members connected to the workspace, not back to the typist', async () => {
    const typist = await connect(handbook.slug, member.access);
    const watcher = await connect(handbook.slug, colleague.access);
    const elsewhere = await connect(bot.slug, colleague.access);
    typist.send({ type: 'typing', typing: true });
    expect(await watcher.next((f) => f.type === 'typing')).toEqual({
      type: 'typing',
      user_id: member.user.id,
      typing: true,
    });
    typist.send({ type: 'typing', typing: false });
    expect(await watcher.next((f) => f.type === 'typing' && f.typing === false)).toEqual({
      type: 'typing',
      user_id: member.user.id,
      typing: false,
    });
    // A round trip on each socket after the relay: had a typing frame been sent to them, it would have come first.
    for (const s of [typist, elsewhere]) {
      s.send({ type: 'nonsense' });
      await s.next((f) => f.type === 'error' && /Unknown message type/.test(f.error));
      expect(s.frames.filter((f) => f.type === 'typing')).toEqual([]);
    }
  });

  it("takes feedback on one's own chat and refuses it on another's", async () => {
    const socket = await connect(handbook.slug, member.access);
    const { end } = await socket.chat({ message: 'refund period?' });
    socket.send({ type: 'feedback', chat_id: end.chat_id, feedback: true, comment: 'Clear.' });
    expect(await socket.next((f) => f.type === 'feedback_saved')).toEqual({
      type: 'feedback_saved',
      chat_id: end.chat_id,
      feedback: true,
      comment: 'Clear.',
    });
    const chat = await api(server, 'GET', `/api/chats/${end.chat_id}/`, undefined, bearer(member.access));
    expect(chat.body).toMatchObject({ feedback: true, comment: 'Clear.' });
    const other = await connect(handbook.slug, colleague.access);
    other.send({ type: 'feedback', chat_id: end.chat_id, feedback: false });
    expect(await other.next((f) => f.type === 'error')).toEqual({
      type: 'error',
      error: 'You do not have permission to perform this action.',
    });
  });

  it('answers refusals as error frames and appends nothing', async () => {
    const socket = await connect(handbook.slug, member.access);
    const before = await server.head();
    const { end } = await socket.chat({ message: '   ' });
    expect(end).toMatchObject({
      type: 'error',
      error: 'Validation failed.',
      field_errors: { message: [expect.any(String)] },
    });
    socket.ws.send('{not json');
    expect(await socket.next((f) => f.type === 'error' && /JSON/.test(f.error))).toBeTruthy();
    socket.ws.send('[1, 2]');
    expect(await socket.next((f) => f.type === 'error' && /Unknown message type/.test(f.error))).toBeTruthy();
    expect(await appendedSince(server, before)).toEqual([]);
  });

  it("enforces the daily limit with the spec's message", async () => {
    const capped = await registerAndLogin(server, 'ws_capped');
    await api(
      server,
      'POST',
      `/api/workspaces/${handbook.slug}/add_user/`,
      { user_id: capped.user.id },
      bearer(admin.access),
    );
    await api(server, 'PATCH', `/api/users/${capped.user.id}/`, { daily_message_limit: 1 }, bearer(admin.access));
    const socket = await connect(handbook.slug, capped.access);
    expect((await socket.chat({ message: 'refund?' })).end.type).toBe('chat_complete');
    const before = await server.head();
    expect((await socket.chat({ message: 'refund again?' })).end).toEqual({
      type: 'error',
      id: expect.any(String),
      error: 'You have reached your daily chat limit of 1',
    });
    expect(await appendedSince(server, before)).toEqual([]);
  });

  it('reports a provider failure as an error frame and keeps the socket serving', async () => {
    const socket = await connect(bot.slug, member.access);
    fake.set({ status: 503, errorMessage: 'overloaded' });
    const failed = await socket.chat({ message: 'refund?' });
    expect(failed.end).toEqual({ type: 'error', id: failed.start.id, error: expect.any(String) });
    expect(failed.end.error).not.toMatch(/\.ts:\d+|\.js:\d+/);
    fake.set({ status: null, tokens: ['All', ' good'] });
    const ok = await socket.chat({ message: 'refund?' });
    expect(ok.tokens.join('')).toBe('All good');
    expect(fake.requests.at(-1)!.body.model).toBe('ws-model');
  });

  it('cancels the chat being accepted when its socket closes before chat_start', async () => {
    fake.set({ stallAfter: 1, tokens: ['first ', 'second'] });
    const asked = fake.requests.length;
    const before = await server.head();
    // The server's end of the next upgraded connection, to know when the server has seen the socket close.
    const serverSide = new Promise<import('node:net').Socket>((resolve) =>
      server.server!.once('upgrade', (_req, socket) => resolve(socket as never)),
    );
    const socket = await ChatSocketClient.connect(server.url, bot.slug, member.access);
    const closedOnServer = serverSide.then(
      (s) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve()))),
    );
    // A test double's gate: ChatRequested (the chat's acceptance) is held until the socket is gone.
    const store = server.deps.store;
    const append = store.appendToStream.bind(store);
    store.appendToStream = async (stream, events, expected) => {
      if (stream.startsWith('chat-') && events.some((e) => e.type === 'ChatRequested')) {
        store.appendToStream = append;
        await closedOnServer;
        await new Promise((r) => setTimeout(r, 50));
      }
      return append(stream, events, expected);
    };
    try {
      socket.send({ type: 'chat', message: 'refund?' });
      await new Promise((r) => setTimeout(r, 100)); // the chat message reaches the server before the socket goes
      socket.ws.terminate();
      // The accepted chat ends as cancelled instead of waiting on a model no one reads.
      let events: string[] = [];
      for (let i = 0; i < 400 && !events.some((e) => e.endsWith(':ChatFailed')); i++) {
        await new Promise((r) => setTimeout(r, 25));
        events = (await appendedSince(server, before)).filter((e) => e.startsWith('chat-'));
      }
      expect(events.map((e) => e.split(':')[1])).toEqual(['ChatRequested', 'ChatFailed']);
      // The model call, if it got under way, was aborted.
      const upstream = fake.requests[asked];
      if (upstream) {
        await upstream.finished;
        expect(upstream.aborted).toBe(true);
      }
    } finally {
      store.appendToStream = append;
      fake.set({ stallAfter: null });
    }
  });

  it('cancels the model call when the socket closes mid-answer', async () => {
    fake.set({ stallAfter: 1, tokens: ['first ', 'second'] });
    const asked = fake.requests.length;
    const socket = await ChatSocketClient.connect(server.url, bot.slug, member.access);
    socket.send({ type: 'chat', message: 'refund?' });
    await socket.next((f) => f.type === 'chat_token');
    await socket.close();
    const upstream = fake.requests[asked];
    await upstream.finished;
    expect(upstream.aborted).toBe(true);
    fake.set({ stallAfter: null });
  });
  it('stops relaying to a member removed from the workspace, closing their socket at once', async () => {
    const leaver = await registerAndLogin(server, 'ws_leaver');
    await api(
      server,
      'POST',
      `/api/workspaces/${handbook.slug}/add_user/`,
      { user_id: leaver.user.id },
      bearer(admin.access),
    );
    const typist = await connect(handbook.slug, member.access);
    const watcher = await connect(handbook.slug, colleague.access);
    const removed = await connect(handbook.slug, leaver.access);
    const closed = new Promise<number>((resolve) => removed.ws.once('close', (code) => resolve(code)));
    typist.send({ type: 'typing', typing: true });
    expect(await removed.next((f) => f.type === 'typing')).toEqual({
      type: 'typing',
      user_id: member.user.id,
      typing: true,
    });

    const res = await api(
      server,
      'POST',
      `/api/workspaces/${handbook.slug}/remove_user/`,
      { user_id: leaver.user.id },
      bearer(admin.access),
    );
    expect(res.status).toBe(200);
    typist.send({ type: 'typing', typing: false });
    expect(await watcher.next((f) => f.type === 'typing' && f.typing === false)).toEqual({
      type: 'typing',
      user_id: member.user.id,
      typing: false,
    });
    expect(await closed).toBe(4404);
    expect(removed.frames.filter((f) => f.type === 'typing')).toEqual([
      { type: 'typing', user_id: member.user.id, typing: true },
    ]);
    // Nor can they come back in.
    await expect(ChatSocketClient.connect(server.url, handbook.slug, leaver.access)).rejects.toMatchObject({
      status: 404,
    });
  });
});
