/**
 * A projection that throws on an event (here: a DocumentChunksAdded without chunks, as a faulty
 * version could have written it) never fails silently: /readyz answers 503 naming the projection and
 * the position, a metric counts the attempts, the error is logged once, and a write that waits to
 * read itself answers 503 after the bounded wait (REST and GraphQL; a streamed chat's last frame says
 * so) although the write was recorded.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { type Chronicle, startChronicle } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { api, bearer, registerAndLogin } from '../support/server.js';
import { postSse } from '../support/sse.js';

const NOT_YET_READABLE = /recorded but is not yet readable/;

/** A real server whose error log lines are kept, on `dataDir`. */
async function serverWithLog(dataDir: string) {
  const lines: { msg: string; err?: { message: string } }[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: 'test-secret-test-secret-test-secret',
    RATE_LIMIT_AUTH_PER_MIN: '1000',
    RATE_LIMIT_API_PER_MIN: '1000000',
    READ_YOUR_WRITES_TIMEOUT_MS: '300',
  });
  const chronicle = await startChronicle(config, pino({ level: 'error' }, sink));
  return { chronicle: chronicle as Chronicle & { url: string }, lines };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs = 20_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function failureCount(server: { url: string }): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('chronicle_projection_failures_total{projection="documents"}'));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('a projection failing on an event', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-poison-'));
  let server: Awaited<ReturnType<typeof serverWithLog>>;
  let token: string;
  let poison: number;

  beforeAll(async () => {
    server = await serverWithLog(dataDir);
    ({ access: token } = await registerAndLogin(server.chronicle, 'root'));
    const workspace = await api(server.chronicle, 'POST', '/api/workspaces/', { name: 'Before' }, bearer(token));
    expect(workspace.status).toBe(201);
    expect((await api(server.chronicle, 'GET', '/readyz')).status).toBe(200);
    const appended = await server.chronicle.deps.store.appendToStream(
      'document-999999',
      [
        {
          id: randomUUID(),
          type: 'DocumentChunksAdded',
          data: { documentId: 999999, workspaceId: workspace.body.id, ingestion: 1, from: 0, chunks: null },
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
    poison = appended.position;
  });
  afterAll(() => server.chronicle.close());

  it('/readyz answers 503 naming the projection and the position', async () => {
    const readyz = await until('readyz 503', async () => {
      const res = await api(server.chronicle, 'GET', '/readyz');
      return res.status === 503 ? res : undefined;
    });
    expect(readyz.body).toMatchObject({
      status: 'not ready',
      projectionFailure: { projection: 'documents', position: poison, eventType: 'DocumentChunksAdded' },
    });
    expect(readyz.body.projectedPosition).toBe(poison - 1);
  });

  it('counts every failed attempt in a metric but logs the error once', async () => {
    await until('three retries', async () => ((await failureCount(server.chronicle)) >= 3 ? true : undefined));
    const logged = server.lines.filter((l) => /projection failed/.test(l.msg));
    expect(logged).toHaveLength(1);
    expect(logged[0]!.err!.message).toContain(`Projection documents failed on event ${poison} (DocumentChunksAdded)`);
  });

  it('a REST write waits a bounded time, then answers 503: recorded, not yet readable', async () => {
    const head = await server.chronicle.deps.store.headPosition();
    const res = await api(server.chronicle, 'POST', '/api/workspaces/', { name: 'Recorded' }, bearer(token));
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: expect.stringMatching(NOT_YET_READABLE) });
    const appended = await server.chronicle.deps.store.readAll({ after: head });
    expect(appended.map((e) => e.type)).toContain('WorkspaceCreated');
  });

  it('a GraphQL mutation answers HTTP 503 with a NOT_YET_READABLE error', async () => {
    const res = await api(
      server.chronicle,
      'POST',
      '/graphql',
      {
        query: 'mutation { createWorkspace(input: { name: "Also recorded" }) { id slug } }',
      },
      bearer(token),
    );
    expect(res.status).toBe(503);
    expect(res.body.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(NOT_YET_READABLE),
        extensions: { code: 'NOT_YET_READABLE' },
      }),
    ]);
  });

  it('a streamed chat ends with an error frame saying the chat was recorded but is not yet readable', async () => {
    const head = await server.chronicle.deps.store.headPosition();
    const res = await postSse(
      `${server.chronicle.url}/api/chats/stream_chat/`,
      { message: 'hello', workspace_slug: 'before', mode: 'chat' },
      bearer(token),
    );
    expect(res.status).toBe(200);
    expect(res.frames[0]).toMatchObject({ type: 'start' });
    expect(res.frames.at(-1)).toMatchObject({ type: 'error', error: expect.stringMatching(NOT_YET_READABLE) });
    const appended = await server.chronicle.deps.store.readAll({ after: head });
    expect(appended.map((e) => e.type)).toContain('ChatCompleted');
  });

  it('after a restart the failure is still reported, and logged once by the new process', async () => {
    await server.chronicle.close();
    server = await serverWithLog(dataDir);
    const readyz = await api(server.chronicle, 'GET', '/readyz');
    expect(readyz.status).toBe(503);
    expect(readyz.body.projectionFailure).toMatchObject({ projection: 'documents', position: poison });
    const before = await failureCount(server.chronicle);
    await until('two more retries', async () =>
      (await failureCount(server.chronicle)) >= before + 2 ? true : undefined,
    );
    expect(server.lines.filter((l) => /projection failed/.test(l.msg))).toHaveLength(1);
  });
});
