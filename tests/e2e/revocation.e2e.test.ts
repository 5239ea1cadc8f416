/**
 * Connections outlive the request that authenticated them: a WebSocket chat or a graphql-ws connection
 * opened before a key was revoked or a user suspended must stop acting for them at once, like REST does.
 */
import type { Client } from 'graphql-ws';
import { ChatSocketClient } from '../support/chat-socket.js';
import { expectAppendsNothing } from '../support/e2e.js';
import { uploadReadyDocument } from '../support/documents.js';
import { closeGraphqlWsClients, connectGraphqlWs, execute, subscribe } from '../support/graphql-ws.js';
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';

describe('revocation reaches open connections', () => {
  let server: TestServer;
  let admin: Awaited<ReturnType<typeof registerAndLogin>>;
  let handbook: any;
  const disposers: (() => unknown)[] = [];

  const suspend = async (userId: number, suspended: boolean) => {
    const res = await api(server, 'PATCH', `/api/users/${userId}/`, { suspended }, bearer(admin.access));
    expect(res.status).toBe(200);
  };

  const graphqlWs = (token: string) => connectGraphqlWs(server, { token, lazy: false });

  /** One query over the client's open socket: its result, or the error that ended it. */
  const run = (client: Client, query: string): Promise<any> =>
    execute(client, query).catch((error: unknown) => ({ error }));

  /** A chatStream subscriber in the handbook, once it listens; `completed()` resolves when it has seen an answer complete. */
  async function subscribeAs(token: string) {
    const sub = subscribe(
      graphqlWs(token),
      `subscription { chatStream(workspaceSlug: "${handbook.slug}") { type token } }`,
    );
    await sub.until(() => sub.results.length > 0 || sub.state.completed, 'the subscription to listen', 30_000);
    const completed = () =>
      sub.until(() => sub.results.some((m) => m.data?.chatStream?.type === 'complete'), 'a chat to complete', 30_000);
    return { events: sub.results, completed };
  }

  /** An admin's chat in the handbook, once the admin's own chatStream has seen it complete. */
  async function adminChatHeardByAdmin() {
    const watcher = await subscribeAs(admin.access);
    const sent = await api(
      server,
      'POST',
      '/graphql',
      {
        query: `mutation { sendChat(input: { workspaceSlug: "${handbook.slug}", message: "How long do I have to return an item?" }) { id } }`,
      },
      bearer(admin.access),
    );
    expect(sent.body.errors).toBeUndefined();
    await watcher.completed();
  }

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_UPLOAD_PER_MIN: '1000' });
    admin = await registerAndLogin(server, 'rv_admin');
    handbook = (await api(server, 'POST', '/api/workspaces/', { name: 'Revocation Handbook' }, bearer(admin.access)))
      .body;
    await uploadReadyDocument(
      server,
      admin.access,
      handbook.id,
      'refunds.md',
      'Refund policy. Customers may return any item within thirty days.',
    );
  }, 60_000);

  afterAll(async () => {
    for (const dispose of disposers) await dispose();
    await closeGraphqlWsClients();
    await server?.close();
  });

  it('a revoked API key runs nothing more over the graphql-ws connection it opened', async () => {
    const { key, id } = (await api(server, 'POST', '/api/keys/api-keys/generate/', undefined, bearer(admin.access)))
      .body;
    const client = graphqlWs(key);
    expect(await run(client, '{ me { id } }')).toEqual({ data: { me: { id: String(admin.user.id) } } });

    expect((await api(server, 'DELETE', `/api/keys/api-keys/${id}/`, undefined, bearer(admin.access))).status).toBe(
      204,
    );
    const after = await run(client, '{ me { id } }');
    expect(after?.data?.me).toBeUndefined();
  });

  it("revoking the connection's own key over graphql-ws gets its answer; the next operation is refused", async () => {
    const { key, id } = (await api(server, 'POST', '/api/keys/api-keys/generate/', undefined, bearer(admin.access)))
      .body;
    const client = graphqlWs(key);
    expect(await run(client, `mutation { revokeApiKey(id: "${id}") }`)).toEqual({ data: { revokeApiKey: true } });
    const after = await run(client, '{ me { id } }');
    expect(after?.data?.me).toBeUndefined();
  });

  it("a suspended user's open chatStream subscription receives no more tokens", async () => {
    const member = await registerAndLogin(server, 'rv_listener');
    await api(
      server,
      'POST',
      `/api/workspaces/${handbook.slug}/add_user/`,
      { user_id: member.user.id },
      bearer(admin.access),
    );
    const { events } = await subscribeAs(member.access);
    expect(events[0]).toEqual({ data: { chatStream: { type: 'ready', token: null } } });

    await suspend(member.user.id, true);
    // An admin's chat in the workspace: its tokens go to every chatStream subscriber still allowed to listen.
    await adminChatHeardByAdmin();
    expect(events.slice(1).filter((m) => m.data?.chatStream?.type === 'token')).toEqual([]);
    await suspend(member.user.id, false);
  });

  it('a member removed from the workspace stops receiving its chats on an open chatStream subscription', async () => {
    const member = await registerAndLogin(server, 'rv_removed');
    await api(
      server,
      'POST',
      `/api/workspaces/${handbook.slug}/add_user/`,
      { user_id: member.user.id },
      bearer(admin.access),
    );
    const { events } = await subscribeAs(member.access);
    expect(events[0]).toEqual({ data: { chatStream: { type: 'ready', token: null } } });

    const removed = await api(
      server,
      'POST',
      `/api/workspaces/${handbook.slug}/remove_user/`,
      { user_id: member.user.id },
      bearer(admin.access),
    );
    expect(removed.status).toBe(200);
    await adminChatHeardByAdmin();
    expect(events.slice(1).filter((m) => m.data?.chatStream)).toEqual([]);
  });

  it('a user suspended while connected to /ws/chat/ can no longer chat on that socket, and nothing is appended', async () => {
    const member = await registerAndLogin(server, 'rv_chatter');
    await api(
      server,
      'POST',
      `/api/workspaces/${handbook.slug}/add_user/`,
      { user_id: member.user.id },
      bearer(admin.access),
    );
    const socket = await ChatSocketClient.connect(server.url, handbook.slug, member.access);
    disposers.push(() => socket.close());
    const closed = new Promise<number>((resolve) => socket.ws.once('close', (code) => resolve(code)));

    await suspend(member.user.id, true);
    await expectAppendsNothing(server, async () => {
      socket.send({ type: 'chat', message: 'How long do I have to return an item?' });
      const answered = socket
        .next((f) => f.type === 'chat_complete' || f.type === 'error')
        .then((f) => `answered with ${f.type}`);
      expect(await Promise.race([closed, answered])).toBe(4401);
    });
    expect(socket.frames.filter((f) => f.type === 'chat_start' || f.type === 'chat_token')).toEqual([]);
    await suspend(member.user.id, false);
  });
});
