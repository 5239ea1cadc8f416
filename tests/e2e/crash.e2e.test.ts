import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { api, bearer, registerAndLogin } from '../support/server.js';
import { exited, spawnServer } from '../support/process.js';

/**
 * The durability promise: a write the API acknowledged survives the server being killed with SIGKILL
 * under load, and the read models catch up with it after a restart.
 */
describe('SIGKILL under load', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-crash-'));
  const env = {
    DATA_DIR: dataDir,
    JWT_SECRET: 'crash-test-secret-crash-test-secret',
    RATE_LIMIT_AUTH_PER_MIN: '1000',
    RATE_LIMIT_API_PER_MIN: '1000000',
  };

  it('loses no acknowledged write', async () => {
    const first = await spawnServer(env);
    const adminUser = await registerAndLogin(first, 'root');
    const targets: number[] = [];
    for (const name of ['u1', 'u2', 'u3', 'u4']) targets.push((await registerAndLogin(first, name)).user.id);

    // Each worker owns one user and raises its limit step by step; it remembers the last acknowledged value.
    const acknowledged = new Map<number, number>();
    let stop = false;
    const workers = targets.map(async (id) => {
      for (let n = 1; !stop; n++) {
        try {
          const res = await api(
            first,
            'PATCH',
            `/api/users/${id}/`,
            { daily_message_limit: n },
            bearer(adminUser.access),
          );
          if (res.status === 200) acknowledged.set(id, n);
        } catch {
          return; // the connection died with the server
        }
      }
    });
    await new Promise((r) => setTimeout(r, 1500));
    first.child.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    await exited(first.child);
    expect(acknowledged.size).toBe(targets.length);

    const second = await spawnServer(env);
    try {
      const login = await api(second, 'POST', '/api/auth/login/', { username: 'root', password: 'Correct-Horse-42' });
      for (const id of targets) {
        const res = await api(second, 'GET', `/api/users/${id}/`, undefined, bearer(login.body.access));
        expect(res.status).toBe(200);
        // At least the acknowledged value; one more if the kill landed after the append but before the answer.
        expect(res.body.daily_message_limit).toBeGreaterThanOrEqual(acknowledged.get(id)!);
        expect(res.body.daily_message_limit).toBeLessThanOrEqual(acknowledged.get(id)! + 1);
      }
    } finally {
      second.child.kill('SIGTERM');
      await exited(second.child);
    }
  }, 60_000);
});
