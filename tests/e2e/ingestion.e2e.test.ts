import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KnowledgeService } from '../../src/ai/retrieval/knowledge.js';
import { splitSpans } from '../../src/jobs/ingestion/chunk.js';
import { normalizeWhitespace } from '../../src/jobs/ingestion/extract.js';
import { settledDocument, uploadDocument as upload } from '../support/documents.js';
import { corruptPdf, makeDocx, makePdf } from '../support/fixtures.js';
import { exited, spawnServer } from '../support/process.js';
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';

async function until(ready: () => Promise<boolean>, what: string, deadlineMs = 30_000) {
  const deadline = Date.now() + deadlineMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function workspace(server: { url: string }, token: string, name: string): Promise<number> {
  const res = await api(server, 'POST', '/api/workspaces/', { name }, bearer(token));
  if (res.status !== 201) throw new Error(`workspace: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as number;
}

const storedFile = (dataDir: string, documentId: number) => {
  const dir = path.join(dataDir, 'files');
  const name = fs.readdirSync(dir).find((f) => f.startsWith(`${documentId}-`));
  if (!name) throw new Error(`no stored file for document ${documentId}`);
  return path.join(dir, name);
};

const PHRASES = {
  txt: 'the ferryman whistles eleven shanties',
  md: 'cartographers misplaced the northern archipelago',
  csv: 'saffron turmeric cardamom',
  json: 'obsidian telescope calibration',
  html: 'the glassblower polished a cobalt goblet',
  pdf: 'the heron counts seventeen lanterns',
  docx: 'quartermaster signed the brass ledger',
};

describe('document ingestion over HTTP (embedded, in-process jobs)', () => {
  let server: TestServer;
  let token: string;
  let ws: number;

  beforeAll(async () => {
    server = await startTestServer({
      RATE_LIMIT_UPLOAD_PER_MIN: '1000',
      WATCH_INTERVAL_MS: '200',
      INGESTION_BACKOFF_MS: '50',
    });
    token = (await registerAndLogin(server, 'admin')).access;
    ws = await workspace(server, token, 'Library');
  });
  afterAll(() => server?.close());

  /** Retrieval as chat will use it, once it has heard of everything written so far. */
  const search = async (query: string, workspaceId = ws) => {
    const knowledge = server.deps.knowledge as KnowledgeService;
    expect(await knowledge.caughtUp(await server.head())).toBe(true);
    return knowledge.search(workspaceId, query, { topN: 4, threshold: 0.25 });
  };
  const found = async (query: string) => [...new Set((await search(query)).map((hit) => hit.documentId))];

  it('each of the seven formats becomes ready with its text extracted and searchable', async () => {
    const files: [string, Buffer | string][] = [
      ['notes.txt', `Plain notes. Somewhere in here ${PHRASES.txt} at the harbour.`],
      ['guide.md', `# Guide\n\nThe *old* maps say the ${PHRASES.md}.\n\n- one\n- two`],
      [
        'spices.csv',
        `name,origin\n${PHRASES.csv
          .split(' ')
          .map((s) => `${s},India`)
          .join('\n')}`,
      ],
      ['instruments.json', JSON.stringify({ lab: { instruments: [{ name: PHRASES.json, year: 1890 }] } })],
      [
        'page.html',
        `<!doctype html><html><head><style>.x{color:red}</style><script>var zzyzxtoken = 1;</script></head><body><nav>menu</nav><p>In the workshop ${PHRASES.html}.</p></body></html>`,
      ],
      ['report.pdf', await makePdf(PHRASES.pdf)],
      ['minutes.docx', await makeDocx(['Minutes of the meeting.', `Then the ${PHRASES.docx} and left.`])],
    ];
    const uploaded = [];
    for (const [name, bytes] of files) uploaded.push(await upload(server, token, ws, name, bytes));
    for (const doc of uploaded) expect(['processing', 'ready']).toContain(doc.status);

    const byFormat = new Map<string, number>();
    for (const [i, doc] of uploaded.entries()) {
      const done = await settledDocument(server, token, doc.id);
      expect(done).toMatchObject({ status: 'ready', filename: files[i]![0] });
      expect(done.chunk_count).toBeGreaterThanOrEqual(1);
      byFormat.set(path.extname(files[i]![0]).slice(1), doc.id);
    }
    for (const [format, phrase] of Object.entries(PHRASES)) {
      const hits = await search(phrase);
      expect({ format, top: hits[0]?.documentId }).toEqual({ format, top: byFormat.get(format) });
      expect(hits[0]!.text.toLowerCase()).toContain(phrase.split(' ').at(-1));
    }
    // HTML scripts and styles are not text.
    expect(await found('zzyzxtoken')).toEqual([]);
  }, 120_000);

  it('a corrupt PDF ends failed with a clear error', async () => {
    const doc = await upload(server, token, ws, 'broken.pdf', corruptPdf());
    const done = await settledDocument(server, token, doc.id);
    expect(done.status).toBe('failed');
    expect(done.error).toBe('Could not extract text from this PDF.'); // the reader's own words stay in the server log
    expect(done.chunk_count).toBe(0);
  }, 60_000);

  it('a watched document is re-ingested when its stored file changes, and a deleted one leaves search', async () => {
    const doc = await upload(
      server,
      token,
      ws,
      'tides.txt',
      'The tide tables list a spring tide at the estuary of the Wyre.',
    );
    await settledDocument(server, token, doc.id);
    expect(await found('estuary wyre')).toEqual([doc.id]);
    const watched = await api(server, 'POST', `/api/documents/${doc.id}/watch/`, { watch: true }, bearer(token));
    expect(watched.body.watched).toBe(true);

    fs.writeFileSync(
      storedFile(server.dataDir, doc.id),
      'Revised: the lock keeper now opens the sluice gates at dusk.',
    );
    await until(async () => (await found('sluice gates')).includes(doc.id), 're-ingestion of the watched document');
    expect(await found('estuary wyre')).toEqual([]);
    const now = await settledDocument(server, token, doc.id);
    expect(now.status).toBe('ready');

    const deleted = await api(server, 'DELETE', `/api/documents/${doc.id}/`, undefined, bearer(token));
    expect(deleted.status).toBe(204);
    expect(await found('sluice gates')).toEqual([]);
  }, 60_000);
});

describe('document ingestion on BullMQ (REDIS_URL set)', () => {
  it('uploads become ready through jobs on Redis, and a corrupt one failed', async () => {
    if (!process.env.REDIS_URL) throw new Error('REDIS_URL must be set (the global setup starts redis-server)');
    const server = await startTestServer({
      RATE_LIMIT_UPLOAD_PER_MIN: '1000',
      REDIS_URL: process.env.REDIS_URL,
      QUEUE_PREFIX: `e2e-${process.pid}-${Date.now()}`,
    });
    try {
      const token = (await registerAndLogin(server, 'admin')).access;
      const ws = await workspace(server, token, 'Redis');
      const good = await upload(server, token, ws, 'report.pdf', await makePdf(PHRASES.pdf));
      const bad = await upload(server, token, ws, 'broken.pdf', corruptPdf());
      expect(await settledDocument(server, token, good.id)).toMatchObject({ status: 'ready' });
      expect(await settledDocument(server, token, bad.id)).toMatchObject({ status: 'failed' });
      const knowledge = server.deps.knowledge as KnowledgeService;
      expect(await knowledge.caughtUp(await server.head())).toBe(true);
      const hits = await knowledge.search(ws, PHRASES.pdf, { topN: 4, threshold: 0.25 });
      expect(hits[0]?.documentId).toBe(good.id);
    } finally {
      await server.close();
    }
  }, 60_000);
});

describe('a server killed with SIGKILL during ingestion', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-ingest-crash-'));
  const env = {
    DATA_DIR: dataDir,
    JWT_SECRET: 'ingest-crash-secret-ingest-crash-secret',
    RATE_LIMIT_AUTH_PER_MIN: '1000',
    RATE_LIMIT_UPLOAD_PER_MIN: '1000',
  };

  it('finishes every ingestion after a restart, each chunk recorded once', async () => {
    const first = await spawnServer(env);
    const token = (await registerAndLogin(first, 'root')).access;
    const ws = await workspace(first, token, 'Crash');
    // Large enough documents that ingestion is still under way when the process dies: on a quiet
    // machine the first ones finish during the later uploads, so the last is ~11 MB, seconds of work
    // that cannot be done in the moment between its upload's answer and the kill.
    const texts = Array.from({ length: 8 }, (_, d) =>
      Array.from(
        { length: d === 7 ? 240_000 : 30_000 },
        (_, s) => `Document ${d} sentence ${s} mentions item ${(s * 7919 + d) % 100_003}.`,
      ).join(' '),
    );
    const ids: number[] = [];
    for (const [d, text] of texts.entries()) ids.push((await upload(first, token, ws, `big-${d}.txt`, text)).id);
    const listing = await api(first, 'GET', '/api/documents/', undefined, bearer(token));
    const unfinished = (listing.body as { status: string }[]).filter((d) => d.status === 'processing').length;
    first.child.kill('SIGKILL');
    await exited(first.child);
    expect(unfinished).toBeGreaterThan(0); // the kill landed during ingestion

    const second = await spawnServer(env);
    try {
      const login = await api(second, 'POST', '/api/auth/login/', { username: 'root', password: 'Correct-Horse-42' });
      for (const [d, id] of ids.entries()) {
        const done = await settledDocument(second, login.body.access, id, 120_000);
        const expected = splitSpans(normalizeWhitespace(texts[d]!), { chunkSize: 1000, chunkOverlap: 20 }).length;
        expect({ id, status: done.status, chunks: done.chunk_count }).toEqual({
          id,
          status: 'ready',
          chunks: expected,
        });
      }
    } finally {
      second.child.kill('SIGTERM');
      await exited(second.child);
    }
  }, 180_000);
});
