import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectGraphqlWs, subscribe } from '../support/graphql-ws.js';
import { api, bearer, registerAndLogin } from '../support/server.js';
import { exited, spawnServer } from '../support/process.js';

/**
 * The production topology in miniature: process A runs the projector, process B only the API and
 * shares A's stores. B learns what changed only from A's notices over Redis, so a change made through
 * A reaching a subscriber on B shows Redis carrying it across processes.
 */
describe('two server processes over Redis', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-two-'));
  const shared = {
    DATA_DIR: dataDir,
    JWT_SECRET: 'two-process-secret-two-process-secret',
    RATE_LIMIT_AUTH_PER_MIN: '1000',
    RATE_LIMIT_API_PER_MIN: '1000000',
    REDIS_URL: process.env.REDIS_URL!,
  };
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

    const client = connectGraphqlWs(b, { token: login.body.access });
    try {
      const sub = subscribe(
        client,
        'subscription { workspaceEvents(slug: "shared") { type position workspace { slug topN } } }',
      );
      // graphql-ws does not acknowledge a subscription, so change the workspace until one change arrives.
      const sent: number[] = [];
      for (let topN = 5; topN < 20 && sub.results.length === 0 && !sub.state.completed; topN++) {
        const patched = await api(a, 'PATCH', '/api/workspaces/shared/', { top_n: topN }, bearer(admin.access));
        expect(patched.status).toBe(200);
        sent.push(topN);
        await sub.until(() => sub.results.length > 0 || sub.state.completed, 'a change', 500).catch(() => {});
      }
      await sub.until(
        () => sub.results.length > 0 || sub.state.completed,
        'an event to reach the subscriber on B',
        15_000,
      );
      expect(sub.state.error).toBeNull();
      const msg = sub.results[0];
      expect(msg.errors).toBeUndefined();
      expect(msg.data.workspaceEvents).toMatchObject({ type: 'WorkspaceUpdated', workspace: { slug: 'shared' } });
      expect(sent).toContain(msg.data.workspaceEvents.workspace.topN);
    } finally {
      await client.dispose();
    }
  }, 60_000);
});
