import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatSocketClient } from '../support/chat-socket.js';
import { connectGraphqlWs, subscribe } from '../support/graphql-ws.js';
import { exited, spawnServer } from '../support/process.js';
import { api, bearer, registerAndLogin } from '../support/server.js';

/** Process A runs everything, B only the API over A's stores: what crosses between them goes through Redis. */
describe('chats across two server processes over Redis', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-chat-two-'));
  const shared = {
    DATA_DIR: dataDir,
    JWT_SECRET: 'chat-two-process-secret-chat-two-process',
    RATE_LIMIT_AUTH_PER_MIN: '1000',
    REDIS_URL: process.env.REDIS_URL!,
  };
  let a: Awaited<ReturnType<typeof spawnServer>>;
  let b: Awaited<ReturnType<typeof spawnServer>>;
  const sockets: ChatSocketClient[] = [];

  beforeAll(async () => {
    if (!process.env.REDIS_URL) throw new Error('REDIS_URL must be set (the global setup starts redis-server)');
    a = await spawnServer({ ...shared, ROLE: 'api,projector,worker' });
    b = await spawnServer({ ...shared, ROLE: 'api' });
  }, 120_000);

  afterAll(async () => {
    for (const s of sockets) await s.close();
    for (const p of [a, b]) {
      p?.child.kill('SIGTERM');
      if (p) await exited(p.child);
    }
  });

  /** B serves reads from A's projections once A's notice arrived: poll B until it sees the membership. */
  async function visibleOnB(slug: string, token: string) {
    for (let i = 0; i < 200; i++) {
      if ((await api(b, 'GET', `/api/workspaces/${slug}/`, undefined, bearer(token))).status === 200) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('B never saw the workspace');
  }

  it("relays typing from a socket on A to a member's socket on B, and chatStream tokens of a chat sent to A reach a subscriber on B", async () => {
    const admin = await registerAndLogin(a, 'two_admin');
    const member = await registerAndLogin(a, 'two_member');
    const ws = (await api(a, 'POST', '/api/workspaces/', { name: 'Across' }, bearer(admin.access))).body;
    await api(a, 'POST', `/api/workspaces/${ws.slug}/add_user/`, { user_id: member.user.id }, bearer(admin.access));
    await visibleOnB(ws.slug, member.access);

    const onA = await ChatSocketClient.connect(a.url, ws.slug, admin.access);
    const onB = await ChatSocketClient.connect(b.url, ws.slug, member.access);
    sockets.push(onA, onB);
    onA.send({ type: 'typing', typing: true });
    expect(await onB.next((f) => f.type === 'typing')).toEqual({
      type: 'typing',
      user_id: admin.user.id,
      typing: true,
    });

    const client = connectGraphqlWs(b, { token: member.access });
    try {
      const sub = subscribe(client, `subscription { chatStream(workspaceSlug: "${ws.slug}") { type token chatId } }`);
      const events = () => sub.results.map((m) => m.data?.chatStream ?? m);
      const until = (test: () => boolean) => sub.until(test, 'chatStream frames', 15_000);
      await until(() => events().some((e) => e.type === 'ready'));

      const sent = await api(
        a,
        'POST',
        '/graphql',
        {
          query:
            'mutation { sendChat(input: { workspaceSlug: "across", message: "Is anything documented here?" }) { id response } }',
        },
        bearer(admin.access),
      );
      expect(sent.body.errors).toBeUndefined();
      const chat = sent.body.data.sendChat;
      await until(() => events().some((e) => e.type === 'complete' && e.chatId === chat.id));
      const tokens = events()
        .filter((e) => e.type === 'token' && e.chatId === chat.id)
        .map((e) => e.token);
      expect(tokens.length).toBeGreaterThan(1);
      expect(tokens.join('')).toBe(chat.response);
    } finally {
      await client.dispose();
    }
  });
});
