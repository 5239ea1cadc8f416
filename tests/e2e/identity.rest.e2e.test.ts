/**
 * The Authentication App (spec/api.md) and the user administration DESIGN.md adds, over real HTTP
 * against a real server (embedded adapters, temporary DATA_DIR). Every rejected request is checked
 * to append nothing, except failed logins, which are recorded on purpose.
 */
import jwt from 'jsonwebtoken';
import { appendedSince, expectAppendsNothing, recordingApi, uniqueName, waitForNewResetToken } from '../support/e2e.js';
import { bearer, registerAndLogin, STRONG_PASSWORD, startTestServer, type TestServer } from '../support/server.js';

const NO_CREDENTIALS = { detail: 'Authentication credentials were not provided.' };
const INVALID_TOKEN = { detail: 'Given token not valid for any token type' };
const FORBIDDEN = { detail: 'You do not have permission to perform this action.' };
const NOT_FOUND = { detail: 'Not found.' };
const BAD_CREDENTIALS = { detail: 'No active account found with the given credentials' };
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

let server: TestServer;
let http: ReturnType<typeof recordingApi>;
/** The first user registered on the server: the admin. */
let admin: { user: any; access: string; refresh: string };
/** The second user registered: a default user. */
let second: { user: any; access: string; refresh: string };

const registration = (username: string, password = STRONG_PASSWORD, email = `${username}@example.com`) => ({
  username,
  email,
  password,
  password_confirm: password,
});

async function register(username: string, password = STRONG_PASSWORD, email?: string) {
  const res = await http.call('POST', '/api/users/', registration(username, password, email));
  if (res.status !== 201) throw new Error(`register ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function login(username: string, password = STRONG_PASSWORD, prefix = '/api') {
  return http.call('POST', `${prefix}/auth/login/`, { username, password });
}

/** Registers a default user and has the admin make them a manager. */
async function manager(prefix = 'mgr') {
  const m = await registerAndLogin(http, uniqueName(prefix));
  const res = await http.call('PATCH', `/api/users/${m.user.id}/`, { role: 'manager' }, bearer(admin.access));
  if (res.status !== 200) throw new Error(`promote: ${res.status} ${JSON.stringify(res.body)}`);
  return m;
}

beforeAll(async () => {
  server = await startTestServer();
  http = recordingApi(server);
  admin = await registerAndLogin(http, uniqueName('admin'));
  second = await registerAndLogin(http, uniqueName('second'));
});

afterAll(async () => {
  await server?.close();
});

describe('registration: POST /api/users/', () => {
  it('given no users yet, when the first user registers, then 201 with the public user and role admin', () => {
    expect(admin.user).toEqual({
      id: expect.any(Number),
      username: expect.stringMatching(/^admin_/),
      email: expect.stringMatching(/@example\.com$/),
      role: 'admin',
      suspended: false,
      daily_message_limit: null,
      created_at: expect.stringMatching(ISO_UTC),
      last_login_at: null,
    });
  });

  it('given an admin exists, when a second user registers, then 201 with role default and a new integer id', () => {
    expect(second.user.role).toBe('default');
    expect(Number.isInteger(second.user.id)).toBe(true);
    expect(second.user.id).not.toBe(admin.user.id);
  });

  it('when a user registers, then the answer is what GET /api/users/{id}/ shows, without any password field', async () => {
    const username = uniqueName('shape');
    const res = await http.call('POST', '/api/users/', registration(username));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ username, email: `${username}@example.com`, role: 'default' });
    expect(Object.keys(res.body).filter((k) => /pass|hash/i.test(k))).toEqual([]);
    const get = await http.call('GET', `/api/users/${res.body.id}/`, undefined, bearer(admin.access));
    expect(get.status).toBe(200);
    expect(get.body).toEqual(res.body);
  });

  it('given an empty body, then 400 with "This field is required." for every field, and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () => http.call('POST', '/api/users/', {}));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: expect.any(String),
      field_errors: {
        username: ['This field is required.'],
        email: ['This field is required.'],
        password: ['This field is required.'],
        password_confirm: ['This field is required.'],
      },
    });
  });

  it.each([
    ['a missing username', 'username', { username: undefined }],
    ['a missing email', 'email', { email: undefined }],
    ['a missing password_confirm', 'password_confirm', { password_confirm: undefined }],
    ['a malformed email', 'email', { email: 'not-an-email' }],
    ['a password_confirm that does not match', 'password_confirm', { password_confirm: 'Correct-Horse-43' }],
    ['a username with spaces', 'username', { username: 'has spaces' }],
  ])(
    'given %s, then 400 with field_errors.%s only for that field, and nothing appended',
    async (_what, field, override) => {
      const body = { ...registration(uniqueName('field')), ...override };
      const res = await expectAppendsNothing(server, () => http.call('POST', '/api/users/', body));
      expect(res.status).toBe(400);
      expect(typeof res.body.error).toBe('string');
      expect(Object.keys(res.body.field_errors)).toEqual([field]);
      expect(res.body.field_errors[field]).toEqual([expect.any(String)]);
    },
  );

  it.each([
    ['too short', () => 'Ab1-xyz', /too short/],
    ['entirely numeric', () => '4829104738', /entirely numeric/],
    ['too common', () => 'password123', /too common/],
    ['too similar to the username', (u: string) => `${u.toUpperCase()}-2024!`, /too similar to the username/],
  ])(
    'given a password that is %s, then 400 with field_errors.password saying so, and nothing appended',
    async (_what, password, message) => {
      const username = uniqueName('weak');
      const pw = password(username);
      const res = await expectAppendsNothing(server, () =>
        http.call('POST', '/api/users/', registration(username, pw)),
      );
      expect(res.status).toBe(400);
      expect(res.body.field_errors.password).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
    },
  );

  it('given a taken username in another case, when it is registered again, then 400 with field_errors.username', async () => {
    const username = uniqueName('Dup');
    await register(username);
    const res = await http.call(
      'POST',
      '/api/users/',
      registration(username.toLowerCase(), STRONG_PASSWORD, `other_${username}@example.com`),
    );
    expect(res.status).toBe(400);
    expect(res.body.field_errors).toEqual({ username: ['A user with that username already exists.'] });
  });

  it('given a taken username, when it is registered again, then nothing is appended', async () => {
    const username = uniqueName('dupname');
    await register(username);
    const res = await expectAppendsNothing(server, () =>
      http.call(
        'POST',
        '/api/users/',
        registration(username.toUpperCase(), STRONG_PASSWORD, `other_${username}@example.com`),
      ),
    );
    expect(res.status).toBe(400);
  });

  it('given a taken email in another case, when another username registers with it, then 400 with field_errors.email', async () => {
    const first = uniqueName('mail');
    await register(first);
    const res = await http.call(
      'POST',
      '/api/users/',
      registration(uniqueName('mail'), STRONG_PASSWORD, `${first.toUpperCase()}@EXAMPLE.COM`),
    );
    expect(res.status).toBe(400);
    expect(res.body.field_errors).toEqual({ email: ['A user with that email already exists.'] });
  });

  it('given a taken email, when another username registers with it, then nothing is appended', async () => {
    const first = uniqueName('dupmail');
    await register(first);
    const res = await expectAppendsNothing(server, () =>
      http.call(
        'POST',
        '/api/users/',
        registration(uniqueName('dupmail'), STRONG_PASSWORD, `${first.toUpperCase()}@Example.com`),
      ),
    );
    expect(res.status).toBe(400);
  });

  it('given five concurrent registrations of one username, then exactly one gets 201 and the others 400 on username', async () => {
    const username = uniqueName('race');
    const answers = await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        http.call('POST', '/api/users/', registration(username, STRONG_PASSWORD, `race${i}_${username}@example.com`)),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([201, 400, 400, 400, 400]);
    for (const a of answers.filter((x) => x.status === 400))
      expect(Object.keys(a.body.field_errors)).toEqual(['username']);
  });

  it('given a fresh server, when three users register at once, then exactly one of them is admin', async () => {
    const fresh = await startTestServer();
    try {
      const client = recordingApi(fresh);
      const answers = await Promise.all(
        [0, 1, 2].map(() => client.call('POST', '/api/users/', registration(uniqueName('first')))),
      );
      expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
      expect(answers.map((a) => a.body.role).sort()).toEqual(['admin', 'default', 'default']);
    } finally {
      await fresh.close();
    }
  });

  it('given malformed JSON, then 400 {error, field_errors}, and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', '/api/users/', '{"username": "x", ', { 'Content-Type': 'application/json' }),
    );
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: expect.any(String), field_errors: {} });
  });

  it.each([
    ['a JSON array', '[1, 2]'],
    ['JSON null', 'null'],
    ['a JSON string', '"alice"'],
    [
      'operator objects instead of strings',
      JSON.stringify({ username: { $ne: null }, email: { $gt: '' }, password: 1, password_confirm: true }),
    ],
  ])('given %s as the body, then 400 (never 500), and nothing appended', async (_what, body) => {
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', '/api/users/', body, { 'Content-Type': 'application/json' }),
    );
    expect(res.status).toBe(400);
    expect(typeof res.body.error).toBe('string');
  });
});

describe('login: POST /api/auth/login/', () => {
  it('given a registered user, when they log in, then 200 with access, refresh and the user', async () => {
    const username = uniqueName('login');
    const user = await register(username);
    const res = await login(username);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      access: expect.any(String),
      refresh: expect.any(String),
      user: expect.objectContaining({ id: user.id, username, email: user.email, role: 'default' }),
    });
    expect(res.body.access).not.toBe(res.body.refresh);
  });

  it('given a username in another case, when the user logs in with it, then 200 (usernames are case-insensitive)', async () => {
    const username = uniqueName('Case');
    await register(username);
    const res = await login(username.toUpperCase());
    expect(res.status).toBe(200);
    expect(res.body.user.username).toBe(username);
  });

  it('given a wrong password, then 401 with the credentials detail, and the failure IS recorded', async () => {
    const username = uniqueName('wrongpw');
    const user = await register(username);
    const before = await server.head();
    const res = await login(username, 'Not-The-Password-1');
    expect(res.status).toBe(401);
    expect(res.body).toEqual(BAD_CREDENTIALS);
    expect(await server.head()).toBeGreaterThan(before);
    expect(await appendedSince(server, before)).toEqual([`user-${user.id}:LoginFailedInvalidPassword`]);
  });

  it('given an unknown username, then the same 401 as for a wrong password, and the failure IS recorded', async () => {
    const before = await server.head();
    const res = await login(uniqueName('ghost'));
    expect(res.status).toBe(401);
    expect(res.body).toEqual(BAD_CREDENTIALS);
    expect(await server.head()).toBeGreaterThan(before);
    expect(await appendedSince(server, before)).toEqual([expect.stringMatching(/:LoginFailedInvalidUsername$/)]);
  });

  it('given a login retried with the same Idempotency-Key, then the retry appends nothing and the tokens it answers work', async () => {
    const username = uniqueName('idemlogin');
    await register(username);
    const key = `login-${uniqueName('key')}`;
    const first = await http.call(
      'POST',
      '/api/auth/login/',
      { username, password: STRONG_PASSWORD },
      { 'Idempotency-Key': key },
    );
    expect(first.status).toBe(200);
    const retry = await expectAppendsNothing(server, () =>
      http.call('POST', '/api/auth/login/', { username, password: STRONG_PASSWORD }, { 'Idempotency-Key': key }),
    );
    expect(retry.status).toBe(200);
    expect((await http.call('GET', '/api/users/me/', undefined, bearer(retry.body.access))).status).toBe(200);
    const refreshed = await http.call('POST', '/api/auth/refresh/', { refresh: retry.body.refresh });
    expect({ status: refreshed.status, body: refreshed.body }).toEqual({
      status: 200,
      body: { access: expect.any(String), refresh: expect.any(String) },
    });
  });

  it('given missing fields, then 400 with field_errors, and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () => http.call('POST', '/api/auth/login/', {}));
    expect(res.status).toBe(400);
    expect(res.body.field_errors).toEqual({
      username: ['This field is required.'],
      password: ['This field is required.'],
    });
  });
});

describe('current user: GET /api/users/me/', () => {
  it('given a valid access token, then 200 with that user', async () => {
    const res = await http.call('GET', '/api/users/me/', undefined, bearer(second.access));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: second.user.id, username: second.user.username, role: 'default' });
  });

  it('given no Authorization header, then 401 "Authentication credentials were not provided."', async () => {
    const res = await http.call('GET', '/api/users/me/');
    expect(res.status).toBe(401);
    expect(res.body).toEqual(NO_CREDENTIALS);
  });

  it.each([
    ['a garbage bearer token', () => 'Bearer not.a.jwt'],
    [
      'a token signed with another secret',
      () =>
        `Bearer ${jwt.sign({ typ: 'access', ver: 0 }, 'another-secret', { subject: String(admin.user.id), expiresIn: 60 })}`,
    ],
    [
      'an expired access token',
      () =>
        `Bearer ${jwt.sign({ typ: 'access', ver: 0, exp: Math.floor(Date.now() / 1000) - 60 }, 'test-secret-test-secret-test-secret', { subject: String(admin.user.id) })}`,
    ],
    ['a refresh token used as access token', () => `Bearer ${second.refresh}`],
    [
      'a token for a user that does not exist',
      () =>
        `Bearer ${jwt.sign({ typ: 'access', ver: 0 }, 'test-secret-test-secret-test-secret', { subject: '999999', expiresIn: 60 })}`,
    ],
    ['a non-Bearer scheme', () => `Token ${second.access}`],
  ])('given %s, then 401 "Given token not valid for any token type"', async (_what, header) => {
    const res = await http.call('GET', '/api/users/me/', undefined, { Authorization: header() });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(INVALID_TOKEN);
  });
});

describe('token refresh: POST /api/auth/refresh/', () => {
  it('given a refresh token, when it is used, then a new pair that works; when the old one is reused, then 401 and the session ends', async () => {
    const username = uniqueName('refresh');
    const { refresh: r0 } = await registerAndLogin(http, username);

    const first = await http.call('POST', '/api/auth/refresh/', { refresh: r0 });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ access: expect.any(String), refresh: expect.any(String) });
    expect(first.body.refresh).not.toBe(r0);
    const me = await http.call('GET', '/api/users/me/', undefined, bearer(first.body.access));
    expect(me.status).toBe(200);
    expect(me.body.username).toBe(username);

    // The rotated-to token works once more...
    const second2 = await http.call('POST', '/api/auth/refresh/', { refresh: first.body.refresh });
    expect(second2.status).toBe(200);
    const latest = second2.body.refresh as string;

    // ...but replaying the first one is refused,
    const reused = await http.call('POST', '/api/auth/refresh/', { refresh: r0 });
    expect(reused.status).toBe(401);
    expect(reused.body).toEqual(INVALID_TOKEN);

    // and the whole session dies with it: the newest token of that session stops working too.
    const after = await expectAppendsNothing(server, () =>
      http.call('POST', '/api/auth/refresh/', { refresh: latest }),
    );
    expect(after.status).toBe(401);
    expect(after.body).toEqual(INVALID_TOKEN);
  });

  it('given a reused refresh token, then one other session of the same user is not affected', async () => {
    const username = uniqueName('sessions');
    const a = await registerAndLogin(http, username);
    const b = await login(username);
    const rotated = await http.call('POST', '/api/auth/refresh/', { refresh: a.refresh });
    expect(rotated.status).toBe(200);
    expect((await http.call('POST', '/api/auth/refresh/', { refresh: a.refresh })).status).toBe(401);
    const other = await http.call('POST', '/api/auth/refresh/', { refresh: b.body.refresh });
    expect(other.status).toBe(200);
  });

  it.each([
    ['a garbage token', 401, { refresh: 'garbage' }],
    ['an access token', 401, () => ({ refresh: second.access })],
    ['no token', 400, {}],
  ])('given %s, then %s, and nothing appended', async (_what, status, body) => {
    const payload = typeof body === 'function' ? body() : body;
    const res = await expectAppendsNothing(server, () => http.call('POST', '/api/auth/refresh/', payload));
    expect(res.status).toBe(status);
    if (status === 401) expect(res.body).toEqual(INVALID_TOKEN);
  });
});

describe('change password: POST /api/users/change_password/', () => {
  const NEW_PASSWORD = 'Battery-Staple-77';

  it('given a wrong old password, then 400 with field_errors.old_password, and nothing appended', async () => {
    const u = await registerAndLogin(http, uniqueName('chpw'));
    const res = await expectAppendsNothing(server, () =>
      http.call(
        'POST',
        '/api/users/change_password/',
        { old_password: 'Wrong-Password-9', new_password: NEW_PASSWORD, new_password_confirm: NEW_PASSWORD },
        bearer(u.access),
      ),
    );
    expect(res.status).toBe(400);
    expect(res.body.field_errors).toEqual({ old_password: [expect.any(String)] });
  });

  it.each([
    ['a weak new password', 'new_password', { new_password: '12345678', new_password_confirm: '12345678' }],
    [
      'a confirmation that does not match',
      'new_password_confirm',
      { new_password: NEW_PASSWORD, new_password_confirm: 'Battery-Staple-78' },
    ],
  ])('given %s, then 400 with field_errors.%s, and nothing appended', async (_what, field, override) => {
    const u = await registerAndLogin(http, uniqueName('chpw'));
    const res = await expectAppendsNothing(server, () =>
      http.call(
        'POST',
        '/api/users/change_password/',
        { old_password: STRONG_PASSWORD, ...override },
        bearer(u.access),
      ),
    );
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.field_errors)).toEqual([field]);
  });

  it('given no token, then 401, and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', '/api/users/change_password/', {
        old_password: STRONG_PASSWORD,
        new_password: NEW_PASSWORD,
        new_password_confirm: NEW_PASSWORD,
      }),
    );
    expect(res.status).toBe(401);
    expect(res.body).toEqual(NO_CREDENTIALS);
  });

  it('given the right old password, then 200; the old tokens are rejected, the new password logs in and the old one fails', async () => {
    const username = uniqueName('chpw');
    const u = await registerAndLogin(http, username);
    const res = await http.call(
      'POST',
      '/api/users/change_password/',
      { old_password: STRONG_PASSWORD, new_password: NEW_PASSWORD, new_password_confirm: NEW_PASSWORD },
      bearer(u.access),
    );
    expect(res.status).toBe(200);

    const me = await http.call('GET', '/api/users/me/', undefined, bearer(u.access));
    expect(me.status).toBe(401);
    expect(me.body).toEqual(INVALID_TOKEN);
    expect((await http.call('POST', '/api/auth/refresh/', { refresh: u.refresh })).status).toBe(401);

    const fresh = await login(username, NEW_PASSWORD);
    expect(fresh.status).toBe(200);
    expect((await http.call('GET', '/api/users/me/', undefined, bearer(fresh.body.access))).status).toBe(200);
    const old = await login(username, STRONG_PASSWORD);
    expect(old.status).toBe(401);
    expect(old.body).toEqual(BAD_CREDENTIALS);
  });
});

describe('password reset: POST /api/users/request_password_reset/ and /api/users/reset_password/', () => {
  const NEW_PASSWORD = 'Reset-Pass-Word-31';

  const reset = (token: string, password = NEW_PASSWORD) =>
    http.call('POST', '/api/users/reset_password/', { token, new_password: password, new_password_confirm: password });

  it('given an unknown username, then 200 all the same, and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', '/api/users/request_password_reset/', { username: uniqueName('nobody') }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ detail: expect.any(String) });
  });

  it('given a known username, then 200 with the same answer as for an unknown one', async () => {
    const u = await registerAndLogin(http, uniqueName('resetans'));
    const known = await http.call('POST', '/api/users/request_password_reset/', { username: u.user.username });
    const unknown = await http.call('POST', '/api/users/request_password_reset/', { username: uniqueName('nobody') });
    expect(known.status).toBe(200);
    expect(known.body).toEqual(unknown.body);
  });

  it('given a reset was requested, then the token arrives in the outbox; it works once, kills old tokens, and the new password logs in', async () => {
    const username = uniqueName('reset');
    const u = await registerAndLogin(http, username);
    expect((await http.call('POST', '/api/users/request_password_reset/', { username })).status).toBe(200);
    const token = await waitForNewResetToken(server.dataDir, u.user.email);

    const res = await reset(token);
    expect(res.status).toBe(200);

    const again = await expectAppendsNothing(server, () => reset(token, 'Another-Pass-Word-32'));
    expect(again.status).toBe(400);
    expect(Object.keys(again.body.field_errors)).toEqual(['token']);

    const me = await http.call('GET', '/api/users/me/', undefined, bearer(u.access));
    expect(me.status).toBe(401);
    expect(me.body).toEqual(INVALID_TOKEN);
    expect((await http.call('POST', '/api/auth/refresh/', { refresh: u.refresh })).status).toBe(401);

    expect((await login(username, NEW_PASSWORD)).status).toBe(200);
    expect((await login(username, STRONG_PASSWORD)).status).toBe(401);
  });

  it('given two reset tokens, when the newer one is used, then the older one no longer works', async () => {
    const username = uniqueName('reset2');
    const u = await registerAndLogin(http, username);
    await http.call('POST', '/api/users/request_password_reset/', { username });
    const older = await waitForNewResetToken(server.dataDir, u.user.email);
    await http.call('POST', '/api/users/request_password_reset/', { username });
    const newer = await waitForNewResetToken(server.dataDir, u.user.email, [older]);
    expect(newer).not.toBe(older);

    expect((await reset(newer)).status).toBe(200);
    const res = await expectAppendsNothing(server, () => reset(older, 'Another-Pass-Word-33'));
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.field_errors)).toEqual(['token']);
  });

  it('given a valid token but a weak new password, then 400 with field_errors.new_password, nothing appended, and the token still works', async () => {
    const username = uniqueName('resetweak');
    const u = await registerAndLogin(http, username);
    await http.call('POST', '/api/users/request_password_reset/', { username });
    const token = await waitForNewResetToken(server.dataDir, u.user.email);
    const weak = await expectAppendsNothing(server, () => reset(token, 'password123'));
    expect(weak.status).toBe(400);
    expect(Object.keys(weak.body.field_errors)).toEqual(['new_password']);
    expect((await reset(token)).status).toBe(200);
  });

  it.each([
    ['garbage', () => 'garbage'],
    [
      'a token of an existing user with a wrong signature',
      () => `${second.user.id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`,
    ],
    ['a token of a user that does not exist', () => '987654.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['an empty string', () => ''],
  ])('given %s as token, then 400 with field_errors.token, and nothing appended', async (_what, token) => {
    const res = await expectAppendsNothing(server, () => reset(token()));
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.field_errors)).toEqual(['token']);
  });

  it('given a token whose expiry has passed, then 400 with field_errors.token, and nothing appended', async () => {
    // A server whose reset tokens expire the moment they are issued. Such a token is never mailed,
    // so it is derived the way the server derives it, from the id of the event that records it.
    const expiring = await startTestServer({ PASSWORD_RESET_TTL_SECONDS: '0' });
    try {
      const client = recordingApi(expiring);
      const username = uniqueName('expired');
      const created = await client.call('POST', '/api/users/', registration(username));
      expect(created.status).toBe(201);
      const before = await expiring.head();
      expect((await client.call('POST', '/api/users/request_password_reset/', { username })).status).toBe(200);
      const [requested] = await expiring.deps.store.readAll({ after: before, types: ['PasswordResetRequested'] });
      expect(requested).toBeDefined();
      const token = expiring.deps.tokens.passwordResetToken(created.body.id, requested.id);

      const res = await expectAppendsNothing(expiring, () =>
        client.call('POST', '/api/users/reset_password/', {
          token,
          new_password: NEW_PASSWORD,
          new_password_confirm: NEW_PASSWORD,
        }),
      );
      expect(res.status).toBe(400);
      expect(Object.keys(res.body.field_errors)).toEqual(['token']);
      expect(client.leaks()).toEqual([]);
    } finally {
      await expiring.close();
    }
  });
});

describe('user administration: GET /api/users/', () => {
  const group = `grp${Date.now().toString(36)}`;
  let members: any[];

  beforeAll(async () => {
    members = [];
    for (let i = 0; i < 3; i++) members.push(await register(`${group}_${i}_${uniqueName('m')}`));
  });

  it('given a default user, then 403', async () => {
    const res = await http.call('GET', '/api/users/', undefined, bearer(second.access));
    expect(res.status).toBe(403);
    expect(res.body).toEqual(FORBIDDEN);
  });

  it('given no token, then 401', async () => {
    const res = await http.call('GET', '/api/users/');
    expect(res.status).toBe(401);
    expect(res.body).toEqual(NO_CREDENTIALS);
  });

  it('given an admin and no limit, then a plain array of public users', async () => {
    const res = await http.call('GET', '/api/users/', undefined, bearer(admin.access));
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    expect(res.body.map((u: any) => u.id)).toEqual(
      expect.arrayContaining([admin.user.id, second.user.id, ...members.map((m) => m.id)]),
    );
    expect(res.body.every((u: any) => !('password' in u) && !('password_hash' in u) && !('token_version' in u))).toBe(
      true,
    );
  });

  it('given a limit, then {count, next, previous, results} with absolute next/previous URLs that can be followed', async () => {
    const all = (await http.call('GET', '/api/users/', undefined, bearer(admin.access))).body as any[];
    const first = await http.call('GET', '/api/users/?limit=2', undefined, bearer(admin.access));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      count: all.length,
      next: expect.any(String),
      previous: null,
      results: all.slice(0, 2),
    });
    const next = new URL(first.body.next);
    expect(next.origin).toBe(server.url);
    expect(next.pathname).toBe('/api/users/');
    expect(Object.fromEntries(next.searchParams)).toEqual({ limit: '2', offset: '2' });

    const page2 = await http.call('GET', next.pathname + next.search, undefined, bearer(admin.access));
    expect(page2.status).toBe(200);
    expect(page2.body.results).toEqual(all.slice(2, 4));
    expect(page2.body.count).toBe(all.length);
    const previous = new URL(page2.body.previous);
    expect(previous.origin).toBe(server.url);
    expect(Object.fromEntries(previous.searchParams)).toEqual({ limit: '2' });

    const last = await http.call(
      'GET',
      `/api/users/?limit=2&offset=${all.length - 1}`,
      undefined,
      bearer(admin.access),
    );
    expect(last.body.next).toBeNull();
    expect(last.body.results).toEqual(all.slice(-1));
  });

  it('given role=default, then only default users', async () => {
    const res = await http.call('GET', '/api/users/?role=default', undefined, bearer(admin.access));
    expect(res.status).toBe(200);
    expect(res.body.length).toBeGreaterThan(0);
    expect(res.body.every((u: any) => u.role === 'default')).toBe(true);
    expect(res.body.map((u: any) => u.id)).not.toContain(admin.user.id);
    expect(res.body.map((u: any) => u.id)).toContain(second.user.id);
  });

  it('given username__icontains in another case, then exactly the matching users', async () => {
    const res = await http.call(
      'GET',
      `/api/users/?username__icontains=${group.toUpperCase()}`,
      undefined,
      bearer(admin.access),
    );
    expect(res.status).toBe(200);
    expect(res.body.map((u: any) => u.id).sort()).toEqual(members.map((m) => m.id).sort());
  });

  it('given created_at__gte, then only users created at or after that instant', async () => {
    const since = members[1].created_at as string;
    const res = await http.call(
      'GET',
      `/api/users/?created_at__gte=${encodeURIComponent(since)}&username__icontains=${group}`,
      undefined,
      bearer(admin.access),
    );
    expect(res.status).toBe(200);
    expect(res.body.map((u: any) => u.id)).toEqual([members[1].id, members[2].id]);
    const all = await http.call(
      'GET',
      `/api/users/?created_at__gte=${encodeURIComponent(since)}`,
      undefined,
      bearer(admin.access),
    );
    expect(all.body.every((u: any) => u.created_at >= since)).toBe(true);
    expect(all.body.map((u: any) => u.id)).not.toContain(admin.user.id);
  });

  it.each([
    ['limit=abc', 'limit'],
    ['limit=0', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=2&offset=x', 'offset'],
    ['created_at__gte=not-a-date', 'created_at__gte'],
  ])('given %s, then 400 with field_errors.%s', async (query, field) => {
    const res = await http.call('GET', `/api/users/?${query}`, undefined, bearer(admin.access));
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.field_errors)).toEqual([field]);
  });

  it('given a manager, then the list is allowed', async () => {
    const m = await manager();
    const res = await http.call('GET', '/api/users/?limit=1', undefined, bearer(m.access));
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(1);
  });
});

describe('one user: GET /api/users/{id}/', () => {
  it('given a default user, then they may read themselves but not another user', async () => {
    expect((await http.call('GET', `/api/users/${second.user.id}/`, undefined, bearer(second.access))).status).toBe(
      200,
    );
    const other = await http.call('GET', `/api/users/${admin.user.id}/`, undefined, bearer(second.access));
    expect(other.status).toBe(403);
    expect(other.body).toEqual(FORBIDDEN);
  });

  it('given an unknown id, then 404', async () => {
    const res = await http.call('GET', '/api/users/999997/', undefined, bearer(admin.access));
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });
});

describe('user administration: PATCH /api/users/{id}/', () => {
  it('given an admin, when they change role, daily_message_limit and suspended, then 200 with the updated user', async () => {
    const u = await register(uniqueName('patch'));
    const res = await http.call(
      'PATCH',
      `/api/users/${u.id}/`,
      { role: 'manager', daily_message_limit: 50 },
      bearer(admin.access),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: u.id, role: 'manager', daily_message_limit: 50, suspended: false });

    const back = await http.call(
      'PATCH',
      `/api/users/${u.id}/`,
      { role: 'default', daily_message_limit: null, suspended: true },
      bearer(admin.access),
    );
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ role: 'default', daily_message_limit: null, suspended: true });
    expect((await http.call('GET', `/api/users/${u.id}/`, undefined, bearer(admin.access))).body).toEqual(back.body);
  });

  it.each([
    ['an unknown role', 'role', { role: 'superuser' }],
    ['a non-boolean suspended', 'suspended', { suspended: 'yes' }],
    ['a negative daily_message_limit', 'daily_message_limit', { daily_message_limit: -1 }],
    ['a fractional daily_message_limit', 'daily_message_limit', { daily_message_limit: 1.5 }],
    ['a string daily_message_limit', 'daily_message_limit', { daily_message_limit: 'ten' }],
  ])('given %s, then 400 with field_errors.%s, and nothing appended', async (_what, field, body) => {
    const u = await register(uniqueName('badpatch'));
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/users/${u.id}/`, body, bearer(admin.access)),
    );
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.field_errors)).toEqual([field]);
  });

  it('given an unknown field, then 400, and nothing appended', async () => {
    const u = await register(uniqueName('badpatch'));
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/users/${u.id}/`, { email: 'x@example.com' }, bearer(admin.access)),
    );
    expect(res.status).toBe(400);
  });

  it.each([['999999'], ['abc']])('given an unknown id %s, then 404, and nothing appended', async (id) => {
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/users/${id}/`, { role: 'manager' }, bearer(admin.access)),
    );
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });

  it('given a default user, then 403, and nothing appended', async () => {
    const target = await register(uniqueName('target'));
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/users/${target.id}/`, { daily_message_limit: 1 }, bearer(second.access)),
    );
    expect(res.status).toBe(403);
    expect(res.body).toEqual(FORBIDDEN);
  });

  it('given no token, then 401, and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/users/${second.user.id}/`, { daily_message_limit: 1 }),
    );
    expect(res.status).toBe(401);
  });

  it('given a manager, then they may change a default user, but not an admin or a manager, and not promote to admin', async () => {
    const m = await manager();
    const other = await manager('mgr2');
    const target = await register(uniqueName('target'));

    const ok = await http.call(
      'PATCH',
      `/api/users/${target.id}/`,
      { daily_message_limit: 5, suspended: true },
      bearer(m.access),
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ daily_message_limit: 5, suspended: true });

    for (const [id, body] of [
      [admin.user.id, { daily_message_limit: 1 }],
      [admin.user.id, { suspended: true }],
      [other.user.id, { daily_message_limit: 1 }],
      [target.id, { role: 'admin' }],
    ] as const) {
      const res = await expectAppendsNothing(server, () =>
        http.call('PATCH', `/api/users/${id}/`, body, bearer(m.access)),
      );
      expect({ id, body, status: res.status, answer: res.body }).toEqual({ id, body, status: 403, answer: FORBIDDEN });
    }
  });

  it('given an admin, when they try to suspend themselves, then 400, and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/users/${admin.user.id}/`, { suspended: true }, bearer(admin.access)),
    );
    expect(res.status).toBe(400);
  });

  it('given a suspended user, then they cannot log in and their existing tokens are rejected; unsuspended, they can again', async () => {
    const username = uniqueName('susp');
    const u = await registerAndLogin(http, username);
    expect(
      (await http.call('PATCH', `/api/users/${u.user.id}/`, { suspended: true }, bearer(admin.access))).status,
    ).toBe(200);

    const me = await http.call('GET', '/api/users/me/', undefined, bearer(u.access));
    expect(me.status).toBe(401);
    expect(me.body).toEqual(INVALID_TOKEN);
    const relogin = await login(username);
    expect(relogin.status).toBe(401);
    expect(relogin.body).toEqual(BAD_CREDENTIALS);
    expect((await http.call('POST', '/api/auth/refresh/', { refresh: u.refresh })).status).toBe(401);

    expect(
      (await http.call('PATCH', `/api/users/${u.user.id}/`, { suspended: false }, bearer(admin.access))).status,
    ).toBe(200);
    expect((await login(username)).status).toBe(200);
  });
});

describe('user administration: DELETE /api/users/{id}/', () => {
  it('given a default user, then 403, and nothing appended', async () => {
    const target = await register(uniqueName('deltarget'));
    const res = await expectAppendsNothing(server, () =>
      http.call('DELETE', `/api/users/${target.id}/`, undefined, bearer(second.access)),
    );
    expect(res.status).toBe(403);
    expect(res.body).toEqual(FORBIDDEN);
  });

  it('given an unknown id, then 404, and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('DELETE', '/api/users/999998/', undefined, bearer(admin.access)),
    );
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });

  it('given an admin, then 204; the user and their tokens are gone, and the username and email can be registered again', async () => {
    const username = uniqueName('del');
    const u = await registerAndLogin(http, username);
    const res = await http.call('DELETE', `/api/users/${u.user.id}/`, undefined, bearer(admin.access));
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();

    expect((await http.call('GET', `/api/users/${u.user.id}/`, undefined, bearer(admin.access))).status).toBe(404);
    expect((await http.call('GET', '/api/users/me/', undefined, bearer(u.access))).status).toBe(401);
    expect((await login(username)).status).toBe(401);
    const twice = await expectAppendsNothing(server, () =>
      http.call('DELETE', `/api/users/${u.user.id}/`, undefined, bearer(admin.access)),
    );
    expect(twice.status).toBe(404);

    const again = await http.call('POST', '/api/users/', registration(username));
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ username, email: u.user.email, role: 'default' });
    expect(again.body.id).not.toBe(u.user.id);
    expect((await login(username)).status).toBe(200);
  });

  it('given a deleted user, when their refresh token is used, then 401 "Given token not valid for any token type", and nothing appended', async () => {
    const u = await registerAndLogin(http, uniqueName('delrefresh'));
    expect((await http.call('DELETE', `/api/users/${u.user.id}/`, undefined, bearer(admin.access))).status).toBe(204);
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', '/api/auth/refresh/', { refresh: u.refresh }),
    );
    expect({ status: res.status, body: res.body }).toEqual({ status: 401, body: INVALID_TOKEN });
  });

  it('given a manager, then they may delete a default user but not an admin', async () => {
    const m = await manager('mgrdel');
    const target = await register(uniqueName('deltarget'));
    const denied = await expectAppendsNothing(server, () =>
      http.call('DELETE', `/api/users/${admin.user.id}/`, undefined, bearer(m.access)),
    );
    expect(denied.status).toBe(403);
    expect((await http.call('DELETE', `/api/users/${target.id}/`, undefined, bearer(m.access))).status).toBe(204);
  });
});

describe('the /api/v1/ alias', () => {
  it('given the same routes under /api/v1/, then they behave the same', async () => {
    const username = uniqueName('v1');
    const reg = await http.call('POST', '/api/v1/users/', registration(username));
    expect(reg.status).toBe(201);
    const logged = await login(username, STRONG_PASSWORD, '/api/v1');
    expect(logged.status).toBe(200);
    const me = await http.call('GET', '/api/v1/users/me/', undefined, bearer(logged.body.access));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: reg.body.id, username, role: reg.body.role });
    expect((await http.call('GET', '/api/v1/users/me/')).body).toEqual(NO_CREDENTIALS);
    const refreshed = await http.call('POST', '/api/v1/auth/refresh/', { refresh: logged.body.refresh });
    expect(refreshed.status).toBe(200);

    const page = await http.call('GET', '/api/v1/users/?limit=1', undefined, bearer(admin.access));
    expect(page.status).toBe(200);
    expect(new URL(page.body.next).pathname).toBe('/api/v1/users/');
    expect((await http.call('GET', '/api/v1/users/', undefined, bearer(second.access))).status).toBe(403);
  });
});

describe('registration setting: PATCH /api/system/settings/allow_registration/', () => {
  it('given allow_registration=false, then anonymous registration gets 403 (nothing appended) but an admin can still create a user', async () => {
    const off = await http.call(
      'PATCH',
      '/api/system/settings/allow_registration/',
      { value: false },
      bearer(admin.access),
    );
    try {
      expect(off.status).toBe(200);
      expect(off.body).toMatchObject({ label: 'allow_registration', value: false });

      const anonymous = await expectAppendsNothing(server, () =>
        http.call('POST', '/api/users/', registration(uniqueName('closed'))),
      );
      expect(anonymous.status).toBe(403);
      expect(anonymous.body).toEqual(FORBIDDEN);

      const byDefaultUser = await expectAppendsNothing(server, () =>
        http.call('POST', '/api/users/', registration(uniqueName('closed')), bearer(second.access)),
      );
      expect(byDefaultUser.status).toBe(403);

      const username = uniqueName('byadmin');
      const byAdmin = await http.call('POST', '/api/users/', registration(username), bearer(admin.access));
      expect(byAdmin.status).toBe(201);
      expect(byAdmin.body).toMatchObject({ username, role: 'default' });
    } finally {
      const on = await http.call(
        'PATCH',
        '/api/system/settings/allow_registration/',
        { value: true },
        bearer(admin.access),
      );
      expect(on.status).toBe(200);
    }
    expect((await http.call('POST', '/api/users/', registration(uniqueName('open')))).status).toBe(201);
  });

  it('given an unknown settings label, then 404, and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', '/api/system/settings/no_such_setting/', { value: 1 }, bearer(admin.access)),
    );
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });

  it.each([
    ['"no"', 'no'],
    ['1', 1],
    ['null', null],
    ['missing', undefined],
  ])('given the invalid value %s, then 400 with field_errors.value, and nothing appended', async (_what, value) => {
    const res = await expectAppendsNothing(server, () =>
      http.call(
        'PATCH',
        '/api/system/settings/allow_registration/',
        value === undefined ? {} : { value },
        bearer(admin.access),
      ),
    );
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.field_errors)).toEqual(['value']);
  });

  it('given a default user, then 403, and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', '/api/system/settings/allow_registration/', { value: false }, bearer(second.access)),
    );
    expect(res.status).toBe(403);
    expect(res.body).toEqual(FORBIDDEN);
  });
});

describe('Idempotency-Key on registration', () => {
  it('given the same POST sent twice with the same key, then the same user both times and nothing appended the second time', async () => {
    const key = `reg-${uniqueName('key')}`;
    const body = registration(uniqueName('idem'));
    const first = await http.call('POST', '/api/users/', body, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    const second2 = await expectAppendsNothing(server, () =>
      http.call('POST', '/api/users/', body, { 'Idempotency-Key': key }),
    );
    expect(second2.status).toBe(201);
    expect(second2.body.id).toBe(first.body.id);
    expect(second2.body).toEqual(first.body);
  });

  it('given the key is reused for a different body, then 400, and nothing appended', async () => {
    const key = `reg-${uniqueName('key')}`;
    expect(
      (await http.call('POST', '/api/users/', registration(uniqueName('idem')), { 'Idempotency-Key': key })).status,
    ).toBe(201);
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', '/api/users/', registration(uniqueName('idem')), { 'Idempotency-Key': key }),
    );
    expect(res.status).toBe(400);
  });

  it('given a registration that is rejected, when it carries an Idempotency-Key, then nothing is appended either', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', '/api/users/', registration(uniqueName('idem'), 'short'), {
        'Idempotency-Key': `reg-${uniqueName('key')}`,
      }),
    );
    expect(res.status).toBe(400);
  });

  it.each([
    ['empty', ''],
    ['over 255 characters', 'k'.repeat(256)],
  ])('given a key that is %s, then 400 naming the header, and nothing appended', async (_, key) => {
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', '/api/users/', registration(uniqueName('idem')), { 'Idempotency-Key': key }),
    );
    expect(res.status).toBe(400);
    expect(res.body.field_errors).toEqual({ 'Idempotency-Key': ['Must be 1 to 255 characters.'] });
  });
});

describe('login rate limit', () => {
  it('given RATE_LIMIT_AUTH_PER_MIN=5, then the 6th login within a minute gets 429 {error} with RateLimit headers, and nothing appended', async () => {
    const limited = await startTestServer({ RATE_LIMIT_AUTH_PER_MIN: '5' });
    try {
      const client = recordingApi(limited);
      const username = uniqueName('rl');
      expect((await client.call('POST', '/api/users/', registration(username))).status).toBe(201);
      for (let i = 1; i <= 5; i++) {
        const res = await client.call('POST', '/api/auth/login/', { username, password: STRONG_PASSWORD });
        expect({ attempt: i, status: res.status }).toEqual({ attempt: i, status: 200 });
      }
      const sixth = await expectAppendsNothing(limited, () =>
        client.call('POST', '/api/auth/login/', { username, password: STRONG_PASSWORD }),
      );
      expect(sixth.status).toBe(429);
      expect(sixth.body).toEqual({ error: expect.any(String) });
      expect(sixth.headers.get('ratelimit')).toMatch(/limit=5\b.*remaining=0\b/);
      expect(sixth.headers.get('ratelimit-policy')).toMatch(/^5;w=60/);
      expect(client.leaks()).toEqual([]);
    } finally {
      await limited.close();
    }
  });
});

describe('no leaks', () => {
  it('given every response of this suite, then none holds a stack trace, a password hash or a 500', () => {
    expect(http.bodies.length).toBeGreaterThan(100);
    expect(http.leaks()).toEqual([]);
  });
});
