import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeDocxBomb } from '../support/docx-bomb.js';
import { settledDocument, uploadDocument } from '../support/documents.js';
import { exited, spawnServer } from '../support/process.js';
import { api, bearer, registerAndLogin } from '../support/server.js';

/**
 * A decompression bomb uploaded over HTTP to `node dist/server.js`: ~300 KB of DOCX whose
 * word/document.xml unpacks to ~100 MB of 3,000,000 tiny paragraphs. It must cost the server
 * neither its life nor its liveness: /healthz answers throughout, the document ends failed with a
 * reason a client can read, and a restart does not run into the same file again.
 */
describe('DOCX bomb upload', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-bomb-'));
  const env = { DATA_DIR: dataDir, JWT_SECRET: 'bomb-test-secret-bomb-test-secret-bomb' };

  it('ends failed while the server stays up and answers /healthz, before and after a restart', async () => {
    const first = await spawnServer(env);
    let token: string;
    let id: number;
    try {
      token = (await registerAndLogin(first, 'root')).access;
      const ws = await api(first, 'POST', '/api/workspaces/', { name: 'Bombs' }, bearer(token));
      expect(ws.status).toBe(201);

      const bomb = makeDocxBomb();
      expect(bomb.length).toBeLessThan(400 * 1024);
      ({ id } = await uploadDocument(first, token, ws.body.id, 'bomb.docx', bomb));

      // Liveness probes all along the ingestion: each must be answered (no timing is asserted).
      let settled = false;
      const probes: number[] = [];
      const probing = (async () => {
        while (!settled) {
          probes.push((await fetch(`${first.url}/healthz`)).status);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const doc = await settledDocument(first, token, id, 120_000);
      settled = true;
      await probing;

      expect(doc.status).toBe('failed');
      expect(doc.error).toMatch(
        /^Could not extract text from this DOCX file: it holds more than [\d,]+ XML elements\.$/,
      );
      expect(probes.length).toBeGreaterThan(0);
      expect(probes.every((status) => status === 200)).toBe(true);
      expect(first.child.exitCode).toBeNull();
      expect(first.output()).not.toMatch(/heap limit|heap out of memory/i);
    } finally {
      first.child.kill('SIGTERM');
      await exited(first.child);
    }

    const second = await spawnServer(env);
    try {
      const login = await api(second, 'POST', '/api/auth/login/', { username: 'root', password: 'Correct-Horse-42' });
      const doc = await settledDocument(second, login.body.access, id, 60_000);
      expect(doc.status).toBe('failed');
      expect((await fetch(`${second.url}/healthz`)).status).toBe(200);
      expect(second.child.exitCode).toBeNull();
    } finally {
      second.child.kill('SIGTERM');
      await exited(second.child);
    }
  }, 240_000);
});
