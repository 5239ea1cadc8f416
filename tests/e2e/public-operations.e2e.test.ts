/**
 * The public operations (registration, login, token refresh, password reset, invite claim, key
 * verification, setup status, the embed widget's calls and their preflights) over real HTTP: a bad
 * or stale bearer token is ignored as a missing one is, so a client with a leftover header is not
 * locked out; operations that need a token still refuse it.
 */
import { randomUUID } from 'node:crypto';
import { TokenService } from '../../src/commands/identity/tokens.js';
import { uniqueName } from '../support/e2e.js';
import { createEmbed, createWorkspace, type EmbedOwner } from '../support/embed.js';
import { api, bearer, registerAndLogin, STRONG_PASSWORD, startTestServer, type TestServer } from '../support/server.js';

const JWT_SECRET = 'test-secret-test-secret-test-secret';
const INVALID_TOKEN = { detail: 'Given token not valid for any token type' };

let server: TestServer;
let owner: EmbedOwner & { refresh: string; username: string };
let embedUuid: string;
/** Each kind of header a client may have left over. */
let leftovers: Record<string, Record<string, string>>;

beforeAll(async () => {
  server = await startTestServer({ JWT_SECRET });
  const username = uniqueName('admin');
  const admin = await registerAndLogin(server, username);
  owner = { access: admin.access, refresh: admin.refresh, userId: admin.user.id, username };
  const workspace = await createWorkspace(server, owner);
  embedUuid = (await createEmbed(server, owner, { workspace: workspace.id })).uuid;
  // Signed with the server's own secret, but expired: a token the client kept too long.
  const expired = new TokenService(JWT_SECRET, {
    accessSeconds: -60,
    refreshSeconds: 60,
    passwordResetSeconds: 60,
  }).issue(owner.userId, 0, 'session', 'refresh-id').access;
  leftovers = {
    'a malformed token': bearer('not-a-token'),
    'an expired token': bearer(expired),
    'an unknown API key': bearer(`sk_live_${'0'.repeat(40)}`),
    'a header of another scheme': { Authorization: 'Basic YWRhOmxvdmVsYWNl' },
  };
});

afterAll(async () => {
  await server?.close();
});

const kinds = () => Object.keys(leftovers);

describe.each(['a malformed token', 'an expired token', 'an unknown API key', 'a header of another scheme'])(
  'given %s in the Authorization header',
  (kind) => {
    const sent = () => leftovers[kind];

    it('then POST /api/auth/login/ with the right password logs in (200 with tokens)', async () => {
      const res = await api(
        server,
        'POST',
        '/api/auth/login/',
        { username: owner.username, password: STRONG_PASSWORD },
        sent(),
      );
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ access: expect.any(String), refresh: expect.any(String) });
    });

    it('then POST /api/v1/auth/refresh/ with a good refresh token answers a new pair', async () => {
      const login = await api(server, 'POST', '/api/auth/login/', {
        username: owner.username,
        password: STRONG_PASSWORD,
      });
      const res = await api(server, 'POST', '/api/v1/auth/refresh/', { refresh: login.body.refresh }, sent());
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ access: expect.any(String) });
    });

    it('then POST /api/users/ registers (201, a default user)', async () => {
      const username = uniqueName('newcomer');
      const res = await api(
        server,
        'POST',
        '/api/users/',
        { username, email: `${username}@example.com`, password: STRONG_PASSWORD, password_confirm: STRONG_PASSWORD },
        sent(),
      );
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ username, role: 'default' });
    });

    it('then the password reset request answers 200, and a reset with a wrong token 400 as without a header', async () => {
      const request = await api(server, 'POST', '/api/users/request_password_reset/', { username: 'nobody' }, sent());
      expect(request.status).toBe(200);
      const reset = { token: 'wrong', new_password: STRONG_PASSWORD, new_password_confirm: STRONG_PASSWORD };
      const without = await api(server, 'POST', '/api/users/reset_password/', reset);
      const withHeader = await api(server, 'POST', '/api/users/reset_password/', reset, sent());
      expect(withHeader.status).toBe(without.status);
      expect(withHeader.body).toEqual(without.body);
    });

    it('then key verification and invite claim answer as without a header', async () => {
      const verify = await api(
        server,
        'POST',
        '/api/keys/api-keys/verify/',
        { key: `sk_live_${'1'.repeat(40)}` },
        sent(),
      );
      expect(verify.status).toBe(200);
      expect(verify.body).toMatchObject({ valid: false });
      const invitee = uniqueName('invitee');
      const claim = {
        code: 'no-such-invite',
        username: invitee,
        email: `${invitee}@example.com`,
        password: STRONG_PASSWORD,
      };
      const without = await api(server, 'POST', '/api/keys/invites/claim/', claim);
      const withHeader = await api(server, 'POST', '/api/keys/invites/claim/', claim, sent());
      expect(withHeader.status).not.toBe(401);
      expect([withHeader.status, withHeader.body]).toEqual([without.status, without.body]);
    });

    it('then GET /api/system/setup-complete/ answers 200', async () => {
      const res = await api(server, 'GET', '/api/system/setup-complete/', undefined, sent());
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ setup_complete: true });
    });

    it("then the embed widget's preflight, chat and history answer as without a header", async () => {
      const origin = { Origin: 'https://customer.example' };
      const preflight = await api(server, 'OPTIONS', `/api/embed/${embedUuid}/stream-chat/`, undefined, {
        ...origin,
        'Access-Control-Request-Method': 'POST',
        ...sent(),
      });
      expect(preflight.status).toBe(204);
      const session = randomUUID();
      const chat = await api(
        server,
        'POST',
        `/api/embed/${embedUuid}/stream-chat/`,
        { session_id: session, message: 'Hello?' },
        { ...origin, ...sent() },
      );
      expect(chat.status).toBe(200);
      expect(chat.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const history = await api(server, 'GET', `/api/embed/${embedUuid}/${session}/`, undefined, {
        ...origin,
        ...sent(),
      });
      expect(history.status).toBe(200);
      expect(history.body).toHaveLength(1);
    });

    it('then an operation that needs a token still answers 401 "Given token not valid for any token type"', async () => {
      const res = await api(server, 'GET', '/api/users/me/', undefined, sent());
      expect(res.status).toBe(401);
      expect(res.body).toEqual(INVALID_TOKEN);
    });
  },
);

it('given a good token on a public operation, then it still names the actor (an admin registers while registration is closed)', async () => {
  expect(kinds()).toHaveLength(4);
  const close = await api(
    server,
    'PATCH',
    '/api/system/settings/allow_registration/',
    { value: false },
    bearer(owner.access),
  );
  expect(close.status).toBe(200);
  try {
    const username = uniqueName('created');
    const body = {
      username,
      email: `${username}@example.com`,
      password: STRONG_PASSWORD,
      password_confirm: STRONG_PASSWORD,
    };
    expect((await api(server, 'POST', '/api/users/', body, leftovers['a malformed token'])).status).toBe(403);
    expect((await api(server, 'POST', '/api/users/', body, bearer(owner.access))).status).toBe(201);
  } finally {
    await api(server, 'PATCH', '/api/system/settings/allow_registration/', { value: true }, bearer(owner.access));
  }
});
