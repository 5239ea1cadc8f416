/**
 * `chronicle projections status`: each projection's and reactor's checkpoint, lag and last error, read
 * by a separate process from the read store while the server runs (a reactor is listed once it has a
 * checkpoint). Runs bin/chronicle.js, which needs dist/ (npm run build) current.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

type Row = { name: string; checkpoint: number; lag: number | null; failures: number; lastError: string | null };

async function status(server: TestServer, ...args: string[]): Promise<{ code: number; stdout: string }> {
  const env = {
    ...process.env,
    DATA_DIR: server.dataDir,
    JWT_SECRET: 'test-secret-test-secret-test-secret',
    LOG_LEVEL: 'silent',
  };
  try {
    const { stdout } = await run(process.execPath, ['bin/chronicle.js', 'projections', 'status', ...args], {
      cwd: ROOT,
      env,
    });
    return { code: 0, stdout };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    if (typeof failed.code !== 'number' || failed.stderr) throw err;
    return { code: failed.code, stdout: failed.stdout };
  }
}

describe('chronicle projections status', () => {
  let server: TestServer;
  let workspaceId: number;
  beforeAll(async () => {
    server = await startTestServer();
    const { access } = await registerAndLogin(server, 'root');
    workspaceId = (await api(server, 'POST', '/api/workspaces/', { name: 'Status' }, bearer(access))).body.id;
  });
  afterAll(() => server.close());

  it('while caught up: every projection at the head, no error, exit 0', async () => {
    const head = await server.head();
    const { code, stdout } = await status(server, '--json');
    expect(code).toBe(0);
    const rows: Row[] = JSON.parse(stdout);
    const documents = rows.find((r) => r.name === 'documents');
    expect(documents).toEqual({ name: 'documents', checkpoint: head, lag: 0, failures: 0, lastError: null });
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(['users', 'workspaces', 'documents', 'chats']));
    expect(rows.every((r) => r.lastError === null)).toBe(true);
  }, 30_000);

  it('while a projection fails on an event: its error and position, the others waiting on it, exit 2', async () => {
    const { position: poison } = await server.deps.store.appendToStream(
      'document-424242',
      [
        {
          id: randomUUID(),
          type: 'DocumentChunksAdded',
          data: { documentId: 424242, workspaceId, ingestion: 1, from: 0, chunks: null },
          metadata: {
            actorId: null,
            actorType: 'system',
            correlationId: randomUUID(),
            causationId: null,
            ip: null,
            userAgent: null,
            schemaVersion: 1,
          },
        },
      ],
      'no_stream',
    );
    for (let i = 0; i < 400 && (await api(server, 'GET', '/readyz')).status !== 503; i++)
      await new Promise((r) => setTimeout(r, 50));

    const { code, stdout } = await status(server, '--json');
    expect(code).toBe(2);
    const rows: Row[] = JSON.parse(stdout);
    const documents = rows.find((r) => r.name === 'documents')!;
    expect(documents).toMatchObject({ checkpoint: poison - 1, lag: 1 });
    expect(documents.failures).toBeGreaterThanOrEqual(1);
    expect(documents.lastError).toMatch(new RegExp(`event ${poison}, DocumentChunksAdded, failing since`));
    expect(rows.find((r) => r.name === 'users')!.lastError).toBe(
      `waiting: projection documents fails on event ${poison}`,
    );

    const table = await status(server);
    expect(table.code).toBe(2);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+CHECKPOINT\s+LAG\s+FAILURES\s+LAST ERROR$/);
    expect(table.stdout).toMatch(new RegExp(`^documents\\s+${poison - 1}\\s+1\\s+\\d+\\s+.*event ${poison}`, 'm'));
  }, 60_000);
});
