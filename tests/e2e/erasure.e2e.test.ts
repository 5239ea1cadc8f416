/**
 * Erasure by crypto-shredding, end to end on a real server and DATA_DIR: a user's username, email,
 * chat text and user agent are never stored in plaintext in the event log; once erased, they are in no
 * answer and in no byte under DATA_DIR (event store, read store, key store, their WAL files, the mail
 * outbox), while `chronicle verify` still passes and `chronicle replay` rebuilds the read models.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expectAppendsNothing, waitForNewResetToken } from '../support/e2e.js';
import { api, bearer, registerAndLogin, startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';
import { postSse } from '../support/sse.js';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-erasure-'));
const chronicle = (...args: string[]) =>
  run(process.execPath, ['bin/chronicle.js', ...args], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', JWT_SECRET: 'test-secret-test-secret-test-secret' },
    maxBuffer: 64 * 1024 * 1024,
  });

const USERNAME = 'quokka_wrangler_7731';
const EMAIL = 'quokka.wrangler.7731@example.net';
const PROMPT = 'Tell me about the pangolin lighthouse of Vlieland 4417';
const AGENT = 'PangolinBrowser/4.417 (erasure test)';
const SECRETS = [USERNAME, EMAIL, 'pangolin lighthouse', AGENT];

/** Which of the secrets appear anywhere in the bytes of any file under DATA_DIR. */
function secretsOnDisk(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files.push(full);
    }
  };
  walk(dataDir);
  const found: string[] = [];
  for (const file of files) {
    const bytes = fs.readFileSync(file);
    for (const secret of SECRETS) {
      for (const encoding of ['utf8', 'utf16le'] as const)
        if (bytes.includes(Buffer.from(secret, encoding))) found.push(`${secret} in ${path.relative(dataDir, file)}`);
    }
  }
  return found;
}

const gql = (server: TestServer, token: string, query: string) =>
  api(server, 'POST', '/graphql', { query }, bearer(token));

let server: TestServer;
afterAll(async () => {
  await server?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('POST /api/users/{id}/erase/ and eraseUser', () => {
  let admin: Awaited<ReturnType<typeof registerAndLogin>>;
  let victimId: number;
  let workspace: any;
  let chatId: number;

  beforeAll(async () => {
    // Snapshots every few events: copies of the read models holding the user's data before the erasure.
    server = await startTestServer({ SNAPSHOT_EVERY: '5' }, dataDir);
    admin = await registerAndLogin(server, 'erasure_admin');
    workspace = (await api(server, 'POST', '/api/workspaces/', { name: 'Lighthouses' }, bearer(admin.access))).body;
    const reg = await api(
      server,
      'POST',
      '/api/users/',
      { username: USERNAME, email: EMAIL, password: STRONG_PASSWORD, password_confirm: STRONG_PASSWORD },
      { 'User-Agent': AGENT },
    );
    expect(reg.status).toBe(201);
    victimId = reg.body.id;
    const login = await api(
      server,
      'POST',
      '/api/auth/login/',
      { username: USERNAME, password: STRONG_PASSWORD },
      { 'User-Agent': AGENT },
    );
    const victim = login.body.access as string;
    const added = await api(
      server,
      'POST',
      `/api/workspaces/${workspace.slug}/add_user/`,
      { user_id: victimId },
      bearer(admin.access),
    );
    expect(added.status).toBe(200);
    const chat = await postSse(
      `${server.url}/api/chats/stream_chat/`,
      { message: PROMPT, workspace_slug: workspace.slug, mode: 'chat' },
      { ...bearer(victim), 'User-Agent': AGENT },
    );
    expect(chat.frames.at(-1).type).toBe('complete');
    chatId = chat.frames.at(-1).chat_id;
    await api(server, 'POST', '/api/users/request_password_reset/', { username: USERNAME }, { 'User-Agent': AGENT });
    await waitForNewResetToken(dataDir, EMAIL);
  }, 60_000);

  it('given a user who chatted, then their email, name, prompt and agent are in no stored event', async () => {
    const stored = await server.deps.store.readStored!({ maxCount: 100_000 });
    const text = JSON.stringify(stored);
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    // ... while the API still answers them to those allowed to see them.
    const logs = await api(
      server,
      'GET',
      `/api/system/event-logs/?event=user_created`,
      undefined,
      bearer(admin.access),
    );
    expect(JSON.stringify(logs.body)).toContain(EMAIL);
  });

  it('given a non-admin, an unknown user, or the last admin, then 403, 404 and 409, and nothing is appended', async () => {
    const other = await registerAndLogin(server, 'erasure_bystander');
    await expectAppendsNothing(server, async () => {
      const refused = await api(server, 'POST', `/api/users/${victimId}/erase/`, undefined, bearer(other.access));
      expect(refused).toMatchObject({
        status: 403,
        body: { detail: 'You do not have permission to perform this action.' },
      });
      const unknown = await api(server, 'POST', '/api/users/999999/erase/', undefined, bearer(admin.access));
      expect(unknown).toMatchObject({ status: 404, body: { detail: 'Not found.' } });
      const last = await api(server, 'POST', `/api/users/${admin.user.id}/erase/`, undefined, bearer(admin.access));
      expect(last).toMatchObject({ status: 409, body: { error: 'The last admin cannot be erased.' } });
      const anonymous = await api(server, 'POST', `/api/users/${victimId}/erase/`);
      expect(anonymous.status).toBe(401);
    });
  });

  it('given an admin, when they erase the user, then every answer shows "[erased]" and the user is gone', async () => {
    const erased = await api(server, 'POST', `/api/users/${victimId}/erase/`, undefined, bearer(admin.access));
    expect(erased.status).toBe(204);

    expect((await api(server, 'GET', `/api/users/${victimId}/`, undefined, bearer(admin.access))).status).toBe(404);
    const logs = await api(server, 'GET', '/api/system/event-logs/?limit=1000', undefined, bearer(admin.access));
    const text = JSON.stringify(logs.body);
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    const created = logs.body.results.find((e: any) => e.event === 'user_created' && e.metadata.user_id === victimId);
    expect(created.metadata).toMatchObject({ username: '[erased]', email: '[erased]', user_agent: '[erased]' });
    expect(logs.body.results.find((e: any) => e.event === 'user_erased')).toMatchObject({
      metadata: { user_id: victimId },
      user_id: admin.user.id,
    });
    const chat = await api(server, 'GET', `/api/chats/${chatId}/`, undefined, bearer(admin.access));
    expect(chat).toMatchObject({ status: 200, body: { user: victimId, prompt: '[erased]', response: '[erased]' } });
    const exported = await api(
      server,
      'GET',
      '/api/system/events/export/?format=ndjson',
      undefined,
      bearer(admin.access),
    );
    expect(exported.status).toBe(200);
    for (const secret of SECRETS) expect(String(exported.body)).not.toContain(secret);
    const login = await api(server, 'POST', '/api/auth/login/', { username: USERNAME, password: STRONG_PASSWORD });
    expect(login.status).toBe(401);
  });

  it('given the GraphQL twin, when an admin erases a user, then they are gone too', async () => {
    const other = await registerAndLogin(server, 'erasure_graphql');
    const res = await gql(server, admin.access, `mutation { eraseUser(id: "${other.user.id}") }`);
    expect(res.body).toEqual({ data: { eraseUser: true } });
    expect((await api(server, 'GET', `/api/users/${other.user.id}/`, undefined, bearer(admin.access))).status).toBe(
      404,
    );
  });

  it('given the erasure, then no byte under DATA_DIR holds the name, email, prompt or agent; the log verifies and replays', async () => {
    // The reset mail is removed by the mail reactor when it sees UserErased.
    const outbox = path.join(dataDir, 'outbox');
    for (let i = 0; i < 400 && fs.readdirSync(outbox).some((n) => n.includes(`-u${victimId}-`)); i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(secretsOnDisk()).toEqual([]); // while the server runs: the erasure answered once its bytes were gone
    await server.close();
    expect(secretsOnDisk()).toEqual([]);

    const verify = await chronicle('verify');
    expect(verify.stdout).toMatch(/^OK: \d+ events/m);
    const replay = await chronicle('replay');
    expect(replay.stdout).toMatch(/Replayed \d+ events/);
    expect(secretsOnDisk()).toEqual([]);

    server = await startTestServer({}, dataDir);
    const chat = await api(server, 'GET', `/api/chats/${chatId}/`, undefined, bearer(admin.access));
    expect(chat).toMatchObject({ status: 200, body: { user: victimId, prompt: '[erased]', response: '[erased]' } });
  }, 300_000);

  it('given the erasure, then the username and email are free for someone new', async () => {
    const again = await api(server, 'POST', '/api/users/', {
      username: USERNAME,
      email: EMAIL,
      password: STRONG_PASSWORD,
      password_confirm: STRONG_PASSWORD,
    });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(victimId);
  });
});
