import { openStores } from '../../src/stores.js';
import { loadConfig } from '../../src/config.js';
import { rebuildReadModels } from '../../src/projections/replay.js';
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';

/** What an admin reads of the event log, whole and filtered. */
async function readLogs(server: TestServer, token: string) {
  const out: Record<string, unknown> = {};
  for (const query of [
    '',
    'limit=1000',
    'event=workspace_created&limit=5',
    'user_id=1&limit=3&offset=1',
    'from_date=2024-01-01',
  ]) {
    const res = await api(
      server,
      'GET',
      `/api/system/event-logs/${query ? `?${query}` : ''}`,
      undefined,
      bearer(token),
    );
    expect(res.status).toBe(200);
    out[query] = JSON.parse(JSON.stringify(res.body).replaceAll(server.url, '<origin>')); // the port changes across restarts
  }
  return out;
}

describe('event logs across `chronicle replay` (embedded: read from the events table)', () => {
  let server: TestServer;
  afterAll(() => server?.close());

  it('given a history, when the read models are rebuilt, then the event-log API answers exactly as before', async () => {
    server = await startTestServer();
    const admin = await registerAndLogin(server, 'replay_admin');
    await registerAndLogin(server, 'replay_member');
    for (const name of ['First', 'Second']) {
      expect((await api(server, 'POST', '/api/workspaces/', { name }, bearer(admin.access))).status).toBe(201);
    }
    const before = await readLogs(server, admin.access);
    expect((before['limit=1000'] as { count: number }).count).toBeGreaterThan(5);
    const { dataDir } = server;
    await server.close();

    // What `npx chronicle replay` does, on the same DATA_DIR.
    const config = loadConfig({
      DATA_DIR: dataDir,
      JWT_SECRET: 'test-secret-test-secret-test-secret',
      LOG_LEVEL: 'silent',
    });
    const stores = await openStores(config);
    expect(stores.projections.map((p) => p.name)).not.toContain('event_logs'); // nothing to rebuild for them
    await rebuildReadModels(stores.store, stores.db, stores.projections);
    await stores.db.close();
    await stores.store.close();
    await stores.pubsub.close();

    server = await startTestServer({}, dataDir);
    expect(await readLogs(server, admin.access)).toEqual(before); // the same token: no login entry in between
  });
});
