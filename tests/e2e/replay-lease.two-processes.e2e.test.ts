/**
 * Replay fencing across processes on the embedded store: a server process's projector pauses while
 * another process holds the replay lease in the shared read store, and catches up once it is released.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import { acquireReplayLease, LEASE_SEEN_WITHIN_MS } from '../../src/projections/shared/replay-lease.js';
import { exited, spawnServer } from '../support/process.js';
import { api, registerAndLogin } from '../support/server.js';

describe('replay lease across two processes (embedded store)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-lease-'));
  const env = { DATA_DIR: dataDir, JWT_SECRET: 'lease-process-secret-lease-process-secret' };

  it("the server's projector applies nothing while the lease is held elsewhere, and catches up after its release", async () => {
    const server = await spawnServer(env);
    const replayer = SqliteReadStore.open(path.join(dataDir, 'readmodels.sqlite'));
    try {
      await registerAndLogin(server, 'root');
      const ready = async () =>
        (await api(server, 'GET', '/readyz')).body as { headPosition: number; projectedPosition: number };
      let h = await ready();
      expect(h.projectedPosition).toBe(h.headPosition);

      const lease = await acquireReplayLease(replayer);
      await new Promise((r) => setTimeout(r, LEASE_SEEN_WITHIN_MS)); // as a replay waits before it rebuilds
      // A server just started may have held its event loop meanwhile (loading the tokenizer on a loaded
      // machine), and with it the timer that looks for leases: once it answers again, give that timer its period.
      await api(server, 'GET', '/healthz');
      await new Promise((r) => setTimeout(r, LEASE_SEEN_WITHIN_MS));
      // Appended while the lease is held: the projector sees the lease before applying the batch.
      // (Its answer comes once the read-your-writes wait runs out: the read model does not hold the user.)
      await api(server, 'POST', '/api/users/', {
        username: 'late',
        email: 'late@example.com',
        password: 'Correct-Horse-42',
        password_confirm: 'Correct-Horse-42',
      });
      h = await ready();
      expect(h.headPosition).toBeGreaterThan(h.projectedPosition);

      await lease.release();
      const deadline = Date.now() + 20_000;
      while ((h = await ready()).projectedPosition < h.headPosition && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(h.projectedPosition).toBe(h.headPosition);
    } finally {
      await replayer.close();
      server.child.kill('SIGTERM');
      await exited(server.child);
    }
  }, 90_000);
});
