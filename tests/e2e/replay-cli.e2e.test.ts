import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { api, bearer, registerAndLogin } from '../support/server.js';
import { exited, spawnServer } from '../support/process.js';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

/** `npx chronicle replay`: rebuilds the read models from the log, and refuses while a server holds them. */
describe('chronicle replay', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-replay-'));
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    JWT_SECRET: 'replay-cli-secret-replay-cli-secret',
    LOG_LEVEL: 'warn',
  };

  it('refuses while the server runs, rebuilds once it stopped, and the server answers the same after', async () => {
    const server = await spawnServer(env as Record<string, string>);
    let before: unknown;
    try {
      const admin = await registerAndLogin(server, 'root');
      await api(server, 'POST', '/api/workspaces/', { name: 'Kept' }, bearer(admin.access));
      before = (await api(server, 'GET', '/api/workspaces/', undefined, bearer(admin.access))).body;
      await expect(run(process.execPath, ['bin/chronicle.js', 'replay'], { cwd: ROOT, env })).rejects.toMatchObject({
        stderr: expect.stringContaining('stop it before replaying'),
      });
    } finally {
      server.child.kill('SIGTERM');
      await exited(server.child);
    }

    const { stdout } = await run(process.execPath, ['bin/chronicle.js', 'replay'], { cwd: ROOT, env });
    expect(stdout).toMatch(/Replayed \d+ events up to position \d+/);

    const again = await spawnServer(env as Record<string, string>);
    try {
      const login = await api(again, 'POST', '/api/auth/login/', { username: 'root', password: 'Correct-Horse-42' });
      expect((await api(again, 'GET', '/api/workspaces/', undefined, bearer(login.body.access))).body).toEqual(before);
    } finally {
      again.child.kill('SIGTERM');
      await exited(again.child);
    }
  }, 60_000);
});
