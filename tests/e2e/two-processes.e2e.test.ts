import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { api, bearer, registerAndLogin } from '../support/server.js';
import { exited, spawnServer } from '../support/process.js';

/**
 * The production topology in miniature: process A runs the projector, process B only the API and
 * shares A's stores. B learns what changed only from A's notices over Redis, so a change made through
 * A reaching a subscriber on B shows Redis carrying it across processes.
 */
describe('two server processes over Redis', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-two-'));
  const shared = { DATA_DIR: dataDir, JWT_SECRET: 'two-process-secret-two-process-secret', RATE_LIMIT_AUTH_PER_MIN: '1000', RATE_LIMIT_API_PER_MIN: '1000000', REDIS_URL: process.env.REDIS_URL! };
  let a: Awaited<ReturnType<typeof spawnServer>>;
  let b: Awaited<ReturnType<typeof spawnServer>>;

  beforeAll(async () => {
    if (!process.env.REDIS_URL) throw new Error('REDIS_URL must be set (the global setup starts redis-server)');
    a = await spawnServer({ ...shared, ROLE: 'api,projector,worker' });
    b = await spawnServer({ ...shared, ROLE: 'api' });
  }, 120_000);

  afterAll(async () => {
    for (const p of [a, b]) {
      p?.child.kill('SIGTERM');
      if (p) await exited(p.child);
    }
  });

  it('a change made through A reaches a graphql-ws subscriber on B, already readable there', async () => {
    const admin = await registerAndLogin(a, 'root');
    const created = await api(a, 'POST', '/api/workspaces/', { name: 'Shared' }, bearer(admin.access));
    expect(created.status).toBe(201);

    // B answers reads from the store A's projector writes, once A's notice said it is there.
    const login = await api(b, 'POST', '/api/auth/login/', { username: 'root', password: 'Correct-Horse-42' });
    expect(login.status).toBe(200);
    const seen = await api(b, 'GET', '/api/workspaces/shared/', undefined, bearer(login.body.access));
    expect(seen.body).toMatchObject({ slug: 'shared', top_n: 4 });

    const client = createClient({
      url: b.url.replace('http', 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${login.body.access}` },
    });
    try {
      const received = new Promise<any>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no event reached the subscriber on B')), 15_000);
        client.subscribe(
          { query: 'subscription { workspaceEvents(slug: "shared") { type position workspace { slug topN } } }' },
          {
            next: (msg) => {
              clearTimeout(timer);
              resolve(msg);
            },
            error: reject,
            complete: () => {},
          },
        );
      });
      // graphql-ws does not acknowledge a subscription, so change the workspace until one change arrives.
      let delivered: any = null;
      received.then((m) => (delivered = m), () => {});
      const sent: number[] = [];
      for (let topN = 5; topN < 20 && !delivered; topN++) {
        const patched = await api(a, 'PATCH', '/api/workspaces/shared/', { top_n: topN }, bearer(admin.access));
        expect(patched.status).toBe(200);
        sent.push(topN);
        await Promise.race([received, new Promise((r) => setTimeout(r, 500))]).catch(() => {});
      }
      const msg = await received;
      expect(msg.errors).toBeUndefined();
      expect(msg.data.workspaceEvents).toMatchObject({ type: 'WorkspaceUpdated', workspace: { slug: 'shared' } });
      expect(sent).toContain(msg.data.workspaceEvents.workspace.topN);
    } finally {
      await client.dispose();
    }
  }, 60_000);
});
