/**
 * `node dist/server.js` listens before it loads the application, opens its stores and reads its read
 * models into memory: an orchestrator's liveness probe is answered however long that takes, and every
 * other request gets a clear 503 instead of a refused connection or a hang. The read store here holds
 * 300,000 documents, which keeps the server starting for seconds.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import { recordResponse } from '../support/openapi-conformance.js';
import { exited, serving, spawnServerProcess } from '../support/process.js';

const DOCUMENTS = 300_000;

/** A read store file of DOCUMENTS documents in one collection, the table made by the adapter itself. */
async function bigReadStore(file: string): Promise<void> {
  const store = SqliteReadStore.open(file);
  await store.create('notes');
  await store.close();
  const db = new Database(file);
  const insert = db.prepare('INSERT INTO doc_notes (id, doc) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < DOCUMENTS; i++)
      insert.run(`n${i}`, JSON.stringify({ _id: `n${i}`, n: i, text: 'x'.repeat(80) }));
  })();
  db.close();
}

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

async function get(url: string, pathname: string): Promise<Answer> {
  const res = await fetch(`${url}${pathname}`);
  const text = await res.text();
  const body = res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  recordResponse({
    method: 'GET',
    path: pathname,
    status: res.status,
    contentType: res.headers.get('content-type'),
    body,
  });
  return { status: res.status, headers: res.headers, body };
}

/** The status line a WebSocket upgrade request gets (101 when taken). */
function upgradeStatus(url: string, pathname: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${pathname}`, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Protocol': 'graphql-transport-ws',
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a server starting on a big read store', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'chronicle-startup-'));
    await bigReadStore(path.join(dataDir, 'readmodels.sqlite'));
  }, 120_000);

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('listens at once: /healthz 200, /readyz 503 starting with progress, everything else 503 JSON, then ready', async () => {
    // given a DATA_DIR whose read store holds 300,000 documents (embedded stores, whatever the suite runs on)
    const { child, url, output } = await spawnServerProcess({ DATA_DIR: dataDir, MONGODB_URL: '', ESDB_URL: '' });
    try {
      // when the port first answers
      let healthz: Answer | null = null;
      while (!healthz) {
        if (child.exitCode !== null) throw new Error(`server exited early:\n${output()}`);
        healthz = await get(url, '/healthz').catch(() => null);
        if (!healthz) await new Promise((r) => setTimeout(r, 20));
      }

      // then it is alive, says it is starting, and turns every other request away with a JSON 503
      expect(healthz).toMatchObject({ status: 200, body: { status: 'ok' } });
      const readyz = await get(url, '/readyz');
      expect(readyz.status).toBe(503);
      expect(readyz.body).toMatchObject({ status: 'starting', phase: expect.any(String) });
      const api = await get(url, '/api/workspaces/');
      expect(api.status).toBe(503);
      expect(api.body).toEqual({ error: expect.stringMatching(/starting/) });
      expect(Number(api.headers.get('retry-after'))).toBeGreaterThan(0);
      await expect(upgradeStatus(url, '/graphql')).resolves.toBe(503);

      // and, while it reads the read models into memory, /readyz counts them and /healthz keeps answering
      const progress: unknown[] = [];
      while (!(await serving(url))) {
        if (child.exitCode !== null) throw new Error(`server exited early:\n${output()}`);
        const [alive, ready] = await Promise.all([get(url, '/healthz'), get(url, '/readyz')]);
        expect(alive.status).toBe(200);
        if (ready.status === 503 && (ready.body as { status: string }).status === 'starting') progress.push(ready.body);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(progress).toContainEqual({
        status: 'starting',
        phase: 'loading read models',
        documentsLoaded: expect.any(Number),
        documentsTotal: DOCUMENTS,
      });

      // and once loaded it answers with the application: ready (nothing to project), and the API
      let ready = await get(url, '/readyz');
      while (ready.status !== 200) {
        await new Promise((r) => setTimeout(r, 50));
        ready = await get(url, '/readyz');
      }
      expect(ready.body).toMatchObject({ status: 'ready', catchingUp: false });
      expect((await get(url, '/api/workspaces/')).status).toBe(401);
      await expect(upgradeStatus(url, '/graphql')).resolves.toBe(101);
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
  }, 180_000);
});
