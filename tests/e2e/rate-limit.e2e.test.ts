/**
 * The general API limit (RATE_LIMIT_API_PER_MIN) over real HTTP: per user whatever the token, per client
 * address for anonymous requests, GraphQL included, auth endpoints left to their own limit; and, with
 * REDIS_URL, one budget across two server processes.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { expectAppendsNothing } from '../support/e2e.js';
import { closeGraphqlWsClients, connectGraphqlWs, execute, type GraphqlResult } from '../support/graphql-ws.js';
import { exited, spawnServer } from '../support/process.js';
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';

const LIMITED = { error: 'Request limit exceeded. Please try again in a minute.' };

function expectStandardHeaders(headers: Headers, limit: number) {
  expect(headers.get('ratelimit-policy')).toBe(`${limit};w=60`);
  expect(headers.get('ratelimit')).toMatch(new RegExp(`^limit=${limit}, remaining=\\d+, reset=\\d+$`));
}

describe('API rate limit in one process', () => {
  let server: TestServer;
  const LIMIT = 5;

  beforeAll(async () => {
    server = await startTestServer({ RATE_LIMIT_API_PER_MIN: String(LIMIT) });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('gives each user LIMIT requests a minute across REST, GraphQL and their API keys, then 429 {error} with RateLimit headers', async () => {
    // Registration and login: registration counts against the client address, login only against the auth limit.
    const admin = await registerAndLogin(server, 'limited');
    const key = (await api(server, 'POST', '/api/keys/api-keys/generate/', undefined, bearer(admin.access))).body.key; // 1
    for (let i = 0; i < 10; i++)
      expect(
        (await api(server, 'POST', '/api/auth/login/', { username: 'limited', password: 'Correct-Horse-42' })).status,
      ).toBe(200);

    const first = await api(server, 'GET', '/api/users/me/', undefined, bearer(admin.access)); // 2
    expect(first.status).toBe(200);
    expectStandardHeaders(first.headers, LIMIT);
    expect(first.headers.get('ratelimit')).toContain('remaining=3');
    expect((await api(server, 'POST', '/graphql', { query: '{ me { id } }' }, bearer(admin.access))).status).toBe(200); // 3
    expect((await api(server, 'GET', '/api/users/me/', undefined, bearer(key))).status).toBe(200); // 4
    expect((await api(server, 'GET', '/api/v1/workspaces/', undefined, bearer(admin.access))).status).toBe(200); // 5

    const refused = await expectAppendsNothing(server, () =>
      api(server, 'POST', '/api/workspaces/', { name: 'Too many' }, bearer(key)),
    );
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual(LIMITED);
    expectStandardHeaders(refused.headers, LIMIT);
    expect(refused.headers.get('ratelimit')).toContain('remaining=0');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const overGraphql = await api(server, 'POST', '/graphql', { query: '{ me { id } }' }, bearer(admin.access));
    expect(overGraphql).toMatchObject({ status: 429, body: LIMITED });

    // Auth endpoints keep their own limit; another user has a budget of their own.
    expect(
      (await api(server, 'POST', '/api/auth/login/', { username: 'limited', password: 'Correct-Horse-42' })).status,
    ).toBe(200);
    const other = await registerAndLogin(server, 'other').catch(() => null);
    // This client address spent one request registering 'limited' and one now: still under the limit.
    expect(other).not.toBeNull();
    expect((await api(server, 'GET', '/api/users/me/', undefined, bearer(other!.access))).status).toBe(200);
  });

  it('counts anonymous requests per client address', async () => {
    const fresh = await startTestServer({ RATE_LIMIT_API_PER_MIN: '3' });
    try {
      for (let i = 0; i < 3; i++) expect((await api(fresh, 'GET', '/api/system/setup-complete/')).status).toBe(200);
      expect(await api(fresh, 'GET', '/api/system/setup-complete/')).toMatchObject({ status: 429, body: LIMITED });
      expect((await api(fresh, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await fresh.close();
    }
  });
});

describe('API rate limit over graphql-ws', () => {
  let server: TestServer;
  const LIMIT = 4;
  const WINDOW_SECONDS = 5;

  beforeAll(async () => {
    server = await startTestServer({
      RATE_LIMIT_API_PER_MIN: String(LIMIT),
      RATE_LIMIT_API_WINDOW_SECONDS: String(WINDOW_SECONDS),
    });
  });
  afterAll(async () => {
    await closeGraphqlWsClients();
    await server?.close();
  });

  /** One operation over the client's socket: its data, or the errors graphql-ws sent for it. */
  const run = (client: Client, query: string) =>
    execute(client, query).catch((e: unknown) => ({ errors: Array.isArray(e) ? e : [e] }) as GraphqlResult);

  it("counts subscribe messages against the user's budget, answers an error past it, and serves again after the window", async () => {
    const user = await registerAndLogin(server, 'ws_limited'); // the client address's budget, not the user's
    // The window starts with the user's first request; each run below stays well inside it.
    const ws = connectGraphqlWs(server, { token: user.access, lazy: false });
    expect((await api(server, 'POST', '/graphql', { query: '{ me { id } }' }, bearer(user.access))).status).toBe(200); // 1
    for (let i = 2; i <= LIMIT; i++)
      expect(await run(ws, '{ me { username } }')).toEqual({ data: { me: { username: 'ws_limited' } } });
    const refused = await run(ws, '{ me { username } }');
    expect(refused.errors).toEqual([
      expect.objectContaining({ message: LIMITED.error, extensions: { code: 'RATE_LIMITED' } }),
    ]);
    // The same budget over HTTP: spent.
    expect(await api(server, 'POST', '/graphql', { query: '{ me { id } }' }, bearer(user.access))).toMatchObject({
      status: 429,
      body: LIMITED,
    });

    // The socket stayed open, and serves again once the window is over.
    await new Promise((r) => setTimeout(r, WINDOW_SECONDS * 1000 + 200));
    expect(await run(ws, '{ me { username } }')).toEqual({ data: { me: { username: 'ws_limited' } } });
  });

  it('counts anonymous operations per client address, taken from X-Forwarded-For as Express takes it (a proxy on this host in front)', async () => {
    /** A socket opened through a local reverse proxy that forwards for `address`. */
    const through = (address: string) => {
      class Forwarded extends WebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols, { headers: { 'X-Forwarded-For': address } });
        }
      }
      return connectGraphqlWs(server, { webSocketImpl: Forwarded, lazy: false });
    };
    const first = through('203.0.113.7');
    for (let i = 1; i <= LIMIT; i++)
      expect(await run(first, '{ __typename }')).toEqual({ data: { __typename: 'Query' } });
    expect((await run(first, '{ __typename }')).errors).toEqual([
      expect.objectContaining({ extensions: { code: 'RATE_LIMITED' } }),
    ]);

    // Another client behind the same proxy has a budget of its own; the first one's is spent over HTTP too.
    expect(await run(through('203.0.113.8'), '{ __typename }')).toEqual({ data: { __typename: 'Query' } });
    expect(
      await api(server, 'POST', '/graphql', { query: '{ __typename }' }, { 'X-Forwarded-For': '203.0.113.7' }),
    ).toMatchObject({ status: 429, body: LIMITED });
  });
});

describe('API rate limit across two server processes over Redis', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-limit-'));
  const LIMIT = 6;
  const shared = {
    DATA_DIR: dataDir,
    JWT_SECRET: 'limit-process-secret-limit-process-secret',
    RATE_LIMIT_AUTH_PER_MIN: '1000',
    RATE_LIMIT_API_PER_MIN: String(LIMIT),
    RATE_LIMIT_REDIS_PREFIX: `test:${randomUUID()}:`,
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

  it('a user spends one budget whichever process answers', async () => {
    const admin = await registerAndLogin(a, 'root'); // registration: the client address's budget, not the user's
    const answers: number[] = [];
    for (let i = 0; i < LIMIT; i++)
      answers.push((await api(i % 2 ? b : a, 'GET', '/api/users/me/', undefined, bearer(admin.access))).status);
    expect(answers).toEqual(Array(LIMIT).fill(200));
    // Each process alone has seen only half: only a shared counter refuses now, on both.
    for (const server of [a, b]) {
      const refused = await api(server, 'GET', '/api/users/me/', undefined, bearer(admin.access));
      expect(refused).toMatchObject({ status: 429, body: LIMITED });
      expectStandardHeaders(refused.headers, LIMIT);
    }
  });
});

describe('login, password-reset and upload limits across two server processes over Redis', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-limit-auth-'));
  const AUTH_LIMIT = 4;
  const UPLOAD_LIMIT = 2;
  const shared = {
    DATA_DIR: dataDir,
    JWT_SECRET: 'limit-process-secret-limit-process-secret',
    RATE_LIMIT_API_PER_MIN: '1000',
    RATE_LIMIT_AUTH_PER_MIN: String(AUTH_LIMIT),
    RATE_LIMIT_UPLOAD_PER_MIN: String(UPLOAD_LIMIT),
    RATE_LIMIT_REDIS_PREFIX: `test:${randomUUID()}:`,
    REDIS_URL: process.env.REDIS_URL!,
  };
  const AUTH_LIMITED = { error: 'Too many authentication attempts. Please try again in a minute.' };
  const UPLOAD_LIMITED = { error: 'Too many uploads. Please try again in a minute.' };
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

  let adminAccess = '';

  it('a client address spends one login and password-reset budget whichever process answers', async () => {
    const admin = await registerAndLogin(a, 'guarded'); // login 1
    adminAccess = admin.access;
    const attempts = [
      () => api(b, 'POST', '/api/auth/login/', { username: 'guarded', password: 'wrong-password' }), // 2
      () => api(a, 'POST', '/api/users/request_password_reset/', { username: 'guarded' }), // 3
      () => api(b, 'POST', '/api/auth/login/', { username: 'guarded', password: 'wrong-password' }), // 4
    ];
    const answers: number[] = [];
    for (const attempt of attempts) answers.push((await attempt()).status);
    expect(answers).toEqual([401, 200, 401]);
    // Each process alone has counted two: only a shared counter refuses now, on both.
    for (const server of [a, b]) {
      const refused = await api(server, 'POST', '/api/auth/login/', {
        username: 'guarded',
        password: 'Correct-Horse-42',
      });
      expect(refused).toMatchObject({ status: 429, body: AUTH_LIMITED });
    }
    expect(await api(b, 'POST', '/api/users/request_password_reset/', { username: 'guarded' })).toMatchObject({
      status: 429,
      body: AUTH_LIMITED,
    });
    expect((await api(b, 'GET', '/api/users/me/', undefined, bearer(admin.access))).status).toBe(200);
  });

  it('a user spends one upload budget whichever process answers', async () => {
    const access = adminAccess;
    const workspace = await api(a, 'POST', '/api/workspaces/', { name: 'Uploads' }, bearer(access));
    expect(workspace.status).toBe(201);
    const upload = (server: { url: string }, name: string) => {
      const form = new FormData();
      form.set('workspace_id', String(workspace.body.id));
      form.append('file', new Blob(['some words to ingest']), name);
      return fetch(`${server.url}/api/documents/upload/`, { method: 'POST', headers: bearer(access), body: form });
    };
    expect((await upload(a, 'one.txt')).status).toBe(201);
    expect((await upload(b, 'two.txt')).status).toBe(201);
    for (const server of [a, b]) {
      const refused = await upload(server, 'three.txt');
      expect(refused.status).toBe(429);
      expect(await refused.json()).toEqual(UPLOAD_LIMITED);
    }
  });
});
