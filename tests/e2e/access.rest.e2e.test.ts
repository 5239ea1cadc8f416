/**
 * The API Keys App over real HTTP (and GraphQL over HTTP and graphql-ws, for keys as bearer tokens)
 * against a real server: API keys, browser-extension keys, invites. Every refused request is checked to
 * append nothing; the key's secret is searched for everywhere it must never be.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ALL_PROJECTIONS } from '../../src/projections/all.js';
import { expectAppendsNothing, recordingApi, uniqueName } from '../support/e2e.js';
import { connectGraphqlWs, execute } from '../support/graphql-ws.js';
import {
  bearer,
  registerAndLogin,
  type Session,
  STRONG_PASSWORD,
  startTestServer,
  type TestServer,
} from '../support/server.js';

const NO_CREDENTIALS = { detail: 'Authentication credentials were not provided.' };
const INVALID_TOKEN = { detail: 'Given token not valid for any token type' };
const FORBIDDEN = { detail: 'You do not have permission to perform this action.' };
const NOT_FOUND = { detail: 'Not found.' };

let server: TestServer;
let http: ReturnType<typeof recordingApi>;
let admin: Session;
let manager: Session;
let alice: Session;
let bob: Session;

const as = (s: Session) => bearer(s.access);

async function graphql(token: string, query: string, variables?: Record<string, unknown>) {
  return http.call('POST', '/graphql', { query, variables }, bearer(token));
}

/** Runs one operation over graphql-ws with the token in connection_init; rejects when the socket is refused. */
function overWebSocket(token: string, query: string): Promise<any> {
  const client = connectGraphqlWs(server, { token });
  return execute(client, query).finally(() => client.dispose());
}

/** Every place a secret must not be: the events table of DATA_DIR's SQLite file, the read models, the event logs. */
async function everywhereStored(): Promise<string> {
  const file = new Database(path.join(server.dataDir, 'events.sqlite'), { readonly: true });
  const rows = file.prepare('SELECT * FROM events').all();
  file.close();
  const models: unknown[] = [];
  for (const name of ALL_PROJECTIONS.flatMap((p) => p.collections))
    models.push(await server.deps.db.collection(name).find({}));
  const logs = await http.call('GET', '/api/system/event-logs/', undefined, as(admin));
  return JSON.stringify({ rows, models, logs: logs.body });
}

beforeAll(async () => {
  server = await startTestServer();
  http = recordingApi(server);
  admin = await registerAndLogin(http, { prefix: 'admin' });
  manager = await registerAndLogin(http, { prefix: 'manager' });
  alice = await registerAndLogin(http, { prefix: 'alice' });
  bob = await registerAndLogin(http, { prefix: 'bob' });
  const promoted = await http.call('PATCH', `/api/users/${manager.user.id}/`, { role: 'manager' }, as(admin));
  expect(promoted.status).toBe(200);
});

afterAll(async () => {
  await server?.close();
});

afterAll(() => {
  expect(http.leaks()).toEqual([]);
});

describe('API keys', () => {
  it('an admin generates a key shown once; it works as a bearer token on REST, GraphQL and graphql-ws until revoked', async () => {
    const generated = await http.call('POST', '/api/keys/api-keys/generate/', undefined, as(admin));
    expect(generated.status).toBe(201);
    expect(generated.body).toEqual({
      key: expect.stringMatching(/^sk_live_[A-Za-z0-9_-]{43}$/),
      id: expect.any(Number),
      message: 'Save this key securely. It will not be shown again.',
    });
    const { key, id } = generated.body;

    const me = await http.call('GET', '/api/users/me/', undefined, bearer(key));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: admin.user.id, role: 'admin' });
    const created = await http.call('POST', '/api/workspaces/', { name: uniqueName('KeyWS') }, bearer(key));
    expect(created.status).toBe(201);
    const [event] = await server.deps.store.readStream(`workspace-${created.body.id}`);
    expect(event.metadata).toMatchObject({ actorId: String(admin.user.id), actorType: 'api_key' });

    const overHttp = await graphql(key, '{ me { id role } }');
    expect(overHttp.body).toEqual({ data: { me: { id: String(admin.user.id), role: 'admin' } } });
    expect(await overWebSocket(key, '{ me { id role } }')).toEqual({
      data: { me: { id: String(admin.user.id), role: 'admin' } },
    });

    expect((await http.call('POST', '/api/keys/api-keys/verify/', { key })).body).toEqual({ valid: true, id });

    // Listed masked; the secret is nowhere but in the answer that created it.
    const list = await http.call('GET', '/api/keys/api-keys/', undefined, as(admin));
    expect(list.body).toContainEqual({
      id,
      key: `sk_live_...${key.slice(-4)}`,
      user: admin.user.id,
      created_at: expect.any(String),
    });
    const logs = await http.call('GET', '/api/system/event-logs/?event=api_key_created', undefined, as(admin));
    expect(logs.body.some((e: any) => e.metadata.key_id === id)).toBe(true);
    const stored = await everywhereStored();
    expect(stored).not.toContain(key);
    expect(stored).not.toContain(key.slice('sk_live_'.length, -4));
    expect(http.bodies.filter((b) => b.text.includes(key)).map((b) => b.request)).toEqual([
      'POST /api/keys/api-keys/generate/',
    ]);

    const revoked = await http.call('DELETE', `/api/keys/api-keys/${id}/`, undefined, as(admin));
    expect(revoked.status).toBe(204);
    // At once, on every transport.
    expect(await http.call('GET', '/api/users/me/', undefined, bearer(key))).toMatchObject({
      status: 401,
      body: INVALID_TOKEN,
    });
    expect((await graphql(key, '{ me { id } }')).status).toBe(401);
    await expect(overWebSocket(key, '{ me { id } }')).rejects.toBeDefined();
    expect((await http.call('POST', '/api/keys/api-keys/verify/', { key })).body).toEqual({ valid: false, id: null });
    expect(
      (await http.call('GET', '/api/keys/api-keys/', undefined, as(admin))).body.map((k: any) => k.id),
    ).not.toContain(id);
    const deleted = await http.call('GET', '/api/system/event-logs/?event=api_key_deleted', undefined, as(admin));
    expect(deleted.body.some((e: any) => e.metadata.key_id === id)).toBe(true);
    expect(await everywhereStored()).not.toContain(key);
  });

  it('only admins generate or list API keys; a refused request appends nothing', async () => {
    for (const who of [manager, alice]) {
      await expectAppendsNothing(server, async () => {
        expect(await http.call('POST', '/api/keys/api-keys/generate/', undefined, as(who))).toMatchObject({
          status: 403,
          body: FORBIDDEN,
        });
      });
      expect(await http.call('GET', '/api/keys/api-keys/', undefined, as(who))).toMatchObject({
        status: 403,
        body: FORBIDDEN,
      });
    }
    await expectAppendsNothing(server, async () => {
      expect(await http.call('POST', '/api/keys/api-keys/generate/')).toMatchObject({
        status: 401,
        body: NO_CREDENTIALS,
      });
      expect(await http.call('DELETE', '/api/keys/api-keys/999/', undefined, as(admin))).toMatchObject({
        status: 404,
        body: NOT_FOUND,
      });
      expect(await http.call('GET', '/api/users/me/', undefined, bearer('sk_live_' + 'x'.repeat(43)))).toMatchObject({
        status: 401,
        body: INVALID_TOKEN,
      });
    });
    expect((await http.call('POST', '/api/keys/api-keys/verify/', { key: 'sk_live_nope' })).body).toEqual({
      valid: false,
      id: null,
    });
    expect((await http.call('POST', '/api/keys/api-keys/verify/', {})).status).toBe(400);
  });

  it("a key acts with its user's current role, and stops while its user is suspended", async () => {
    const generated = await http.call('POST', '/api/keys/browser-extension-keys/generate/', undefined, as(alice));
    expect(generated.status).toBe(201);
    const key = generated.body.key as string;
    expect(key).toMatch(/^brx_/);
    expect((await http.call('GET', '/api/users/', undefined, bearer(key))).status).toBe(403);

    await http.call('PATCH', `/api/users/${alice.user.id}/`, { role: 'manager' }, as(admin));
    expect((await http.call('GET', '/api/users/', undefined, bearer(key))).status).toBe(200);
    await http.call('PATCH', `/api/users/${alice.user.id}/`, { role: 'default' }, as(admin));
    expect((await http.call('GET', '/api/users/', undefined, bearer(key))).status).toBe(403);

    await http.call('PATCH', `/api/users/${alice.user.id}/`, { suspended: true }, as(admin));
    expect(await http.call('GET', '/api/users/me/', undefined, bearer(key))).toMatchObject({
      status: 401,
      body: INVALID_TOKEN,
    });
    await http.call('PATCH', `/api/users/${alice.user.id}/`, { suspended: false }, as(admin));
    expect((await http.call('GET', '/api/users/me/', undefined, bearer(key))).body).toMatchObject({
      id: alice.user.id,
    });
  });

  it("browser-extension keys are their user's: listed for them alone, revoked by them or an admin", async () => {
    const mine = (await http.call('POST', '/api/keys/browser-extension-keys/generate/', undefined, as(bob))).body;
    const list = await http.call('GET', '/api/keys/browser-extension-keys/', undefined, as(bob));
    expect(list.body).toEqual([
      { id: mine.id, key: `brx_...${mine.key.slice(-4)}`, user: bob.user.id, created_at: expect.any(String) },
    ]);
    expect(
      (await http.call('GET', '/api/keys/browser-extension-keys/', undefined, as(alice))).body.map((k: any) => k.id),
    ).not.toContain(mine.id);
    expect(
      (await http.call('GET', '/api/keys/browser-extension-keys/', undefined, as(admin))).body.map((k: any) => k.id),
    ).toContain(mine.id);

    await expectAppendsNothing(server, async () => {
      expect(
        await http.call('DELETE', `/api/keys/browser-extension-keys/${mine.id}/`, undefined, as(alice)),
      ).toMatchObject({ status: 404 });
      // An API-key id is not a browser-extension key id, and the other way round.
      expect((await http.call('DELETE', `/api/keys/api-keys/${mine.id}/`, undefined, as(admin))).status).toBe(404);
    });
    expect((await http.call('DELETE', `/api/keys/browser-extension-keys/${mine.id}/`, undefined, as(bob))).status).toBe(
      204,
    );
    expect((await http.call('GET', '/api/users/me/', undefined, bearer(mine.key))).status).toBe(401);
    expect((await http.call('GET', '/api/keys/browser-extension-keys/', undefined, as(bob))).body).toEqual([]);
  });
});

describe('invites', () => {
  let workspace: any;

  beforeAll(async () => {
    workspace = (await http.call('POST', '/api/workspaces/', { name: uniqueName('Invited') }, as(admin))).body;
  });

  const createInvite = async (who: Session = manager, workspaceIds = [workspace.id]) => {
    const res = await http.call('POST', '/api/keys/invites/generate/', { workspace_ids: workspaceIds }, as(who));
    if (res.status !== 201) throw new Error(`invite: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const claim = (code: string, username: string, password = STRONG_PASSWORD) =>
    http.call('POST', '/api/keys/invites/claim/', { code, username, password, email: `${username}@example.com` });

  it('an admin or manager makes an unguessable invite for existing workspaces; others may not', async () => {
    const invite = await createInvite();
    expect(invite).toEqual({
      id: expect.any(Number),
      code: expect.stringMatching(/^[0-9A-Z]{20}$/),
      status: 'pending',
      workspace_ids: [workspace.id],
      created_by: manager.user.id,
      claimed_by: null,
      created_at: expect.any(String),
      claimed_at: null,
    });
    expect((await createInvite(admin, [])).code).not.toBe(invite.code);
    await expectAppendsNothing(server, async () => {
      expect(await http.call('POST', '/api/keys/invites/generate/', { workspace_ids: [] }, as(alice))).toMatchObject({
        status: 403,
        body: FORBIDDEN,
      });
      expect(await http.call('POST', '/api/keys/invites/generate/', { workspace_ids: [] })).toMatchObject({
        status: 401,
      });
      const missing = await http.call(
        'POST',
        '/api/keys/invites/generate/',
        { workspace_ids: [workspace.id, 987654] },
        as(admin),
      );
      expect(missing.status).toBe(400);
      expect(missing.body.field_errors.workspace_ids).toBeDefined();
      expect((await http.call('POST', '/api/keys/invites/generate/', { workspace_ids: 'all' }, as(admin))).status).toBe(
        400,
      );
      expect((await http.call('GET', '/api/keys/invites/', undefined, as(alice))).status).toBe(403);
    });
    const list = await http.call('GET', '/api/keys/invites/?status=pending', undefined, as(manager));
    expect(list.body.map((i: any) => i.id)).toContain(invite.id);
    const logs = await http.call('GET', '/api/system/event-logs/?event=invite_created', undefined, as(admin));
    expect(logs.body.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(logs.body)).not.toContain(invite.code);
  });

  it('a claim retried under an Idempotency-Key leaves no fast hash of its password in the event store', async () => {
    const invite = await createInvite();
    const username = uniqueName('keyed');
    const body = { code: invite.code, username, password: 'Rare-Passphrase-77', email: `${username}@example.com` };
    const first = await http.call('POST', '/api/keys/invites/claim/', body, { 'Idempotency-Key': `claim-${username}` });
    expect(first.status).toBe(201);
    const retried = await http.call('POST', '/api/keys/invites/claim/', body, {
      'Idempotency-Key': `claim-${username}`,
    });
    expect(retried).toMatchObject({ status: 201, body: { id: first.body.id } });
    // The code and username are in other events: a plain SHA-256 over them and the password could be
    // brute-forced offline at GPU speed, bypassing the slow password hash.
    const fastHash = createHash('sha256')
      .update(`claim-invite|${JSON.stringify(body)}`)
      .digest('hex');
    const stored = await everywhereStored();
    expect(stored).not.toContain(fastHash);
    expect(stored).not.toContain(body.password);
  });

  it('claimed ten times at once, an invite makes exactly one default user, in its workspaces', async () => {
    const invite = await createInvite();
    const names = Array.from({ length: 10 }, () => uniqueName('claimer'));
    const results = await Promise.all(names.map((n) => claim(invite.code, n)));
    const won = results.filter((r) => r.status === 201);
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 400).map((r) => Object.keys(r.body.field_errors))).toEqual(
      Array(9).fill(['code']),
    );
    const user = won[0].body;
    expect(user).toMatchObject({ role: 'default', suspended: false });

    const users = await http.call('GET', '/api/users/?username__icontains=claimer_', undefined, as(admin));
    expect(users.body.filter((u: any) => names.includes(u.username)).map((u: any) => u.username)).toEqual([
      user.username,
    ]);
    for (const loser of names.filter((n) => n !== user.username)) {
      // Nothing of the losers remains: their names are free again.
      expect((await http.call('POST', '/api/auth/login/', { username: loser, password: STRONG_PASSWORD })).status).toBe(
        401,
      );
    }
    const login = await http.call('POST', '/api/auth/login/', { username: user.username, password: STRONG_PASSWORD });
    const visible = await http.call('GET', '/api/workspaces/', undefined, bearer(login.body.access));
    expect(visible.body.map((w: any) => w.id)).toEqual([workspace.id]);

    const after = (await http.call('GET', '/api/keys/invites/', undefined, as(admin))).body.find(
      (i: any) => i.id === invite.id,
    );
    expect(after).toMatchObject({ status: 'claimed', claimed_by: user.id });
    const accepted = await http.call('GET', '/api/system/event-logs/?event=invite_accepted', undefined, as(admin));
    expect(accepted.body.filter((e: any) => e.metadata.invite_id === invite.id)).toHaveLength(1);
  });

  it('a failed claim appends nothing and leaves the code usable', async () => {
    const invite = await createInvite();
    await expectAppendsNothing(server, async () => {
      const taken = await claim(invite.code, alice.user.username);
      expect(taken.status).toBe(400);
      expect(taken.body.field_errors.username).toBeDefined();
      const weak = await claim(invite.code, uniqueName('weak'), 'short');
      expect(weak.status).toBe(400);
      expect(weak.body.field_errors.password).toBeDefined();
      expect((await claim('NOSUCHCODE0000000000', uniqueName('nocode'))).body.field_errors.code).toBeDefined();
      expect((await http.call('POST', '/api/keys/invites/claim/', { code: invite.code })).status).toBe(400);
    });
    expect((await claim(invite.code, uniqueName('second'))).status).toBe(201);
    await expectAppendsNothing(server, async () => {
      expect((await claim(invite.code, uniqueName('third'))).status).toBe(400);
    });
  });

  it('a disabled invite cannot be claimed; a used one cannot be disabled', async () => {
    const invite = await createInvite();
    await expectAppendsNothing(server, async () => {
      expect((await http.call('POST', `/api/keys/invites/${invite.id}/disable/`, undefined, as(alice))).status).toBe(
        403,
      );
    });
    const disabled = await http.call('POST', `/api/keys/invites/${invite.id}/disable/`, undefined, as(manager));
    expect(disabled.body).toMatchObject({ id: invite.id, status: 'disabled' });
    await expectAppendsNothing(server, async () => {
      expect((await claim(invite.code, uniqueName('late'))).status).toBe(400);
    });
    const used = await createInvite();
    expect((await claim(used.code, uniqueName('user'))).status).toBe(201);
    await expectAppendsNothing(server, async () => {
      expect((await http.call('POST', `/api/keys/invites/${used.id}/disable/`, undefined, as(admin))).status).toBe(400);
      expect((await http.call('POST', '/api/keys/invites/999999/disable/', undefined, as(admin))).status).toBe(404);
    });
  });
});

describe('GraphQL twins', () => {
  it('generateApiKey answers the secret once; apiKeys lists it masked; invites round-trip', async () => {
    const generated = await graphql(admin.access, 'mutation { generateApiKey { key id message } }');
    const { key, id } = generated.body.data.generateApiKey;
    expect(key).toMatch(/^sk_live_/);
    const listed = await graphql(key, '{ apiKeys { id key } }');
    expect(listed.body.data.apiKeys).toContainEqual({ id, key: `sk_live_...${key.slice(-4)}` });
    expect((await graphql(alice.access, 'mutation { generateApiKey { key } }')).body.errors[0].extensions.code).toBe(
      'FORBIDDEN',
    );

    const invite = await graphql(manager.access, 'mutation { createInvite(workspaceIds: []) { id code status } }');
    const { code } = invite.body.data.createInvite;
    const username = uniqueName('gql');
    const claimed = await http.call('POST', '/graphql', {
      query: 'mutation($input: ClaimInviteInput!) { claimInvite(input: $input) { username role } }',
      variables: { input: { code, username, password: STRONG_PASSWORD, email: `${username}@example.com` } },
    });
    expect(claimed.body).toEqual({ data: { claimInvite: { username, role: 'default' } } });
    const invites = await graphql(admin.access, '{ invites(status: "claimed") { code status } }');
    expect(invites.body.data.invites).toContainEqual({ code, status: 'claimed' });

    expect((await graphql(key, `mutation { revokeApiKey(id: "${id}") }`)).body).toEqual({
      data: { revokeApiKey: true },
    });
    expect((await graphql(key, '{ me { id } }')).status).toBe(401);
  });
});
