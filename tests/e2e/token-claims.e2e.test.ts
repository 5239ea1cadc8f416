/**
 * A token is only as good as its claims: one signed with the right secret but without `exp` would never
 * expire, so it is refused wherever tokens are taken (REST, GraphQL, the refresh endpoint). Tokens are
 * forged here from a real one's claims with the test server's secret.
 */
import jwt from 'jsonwebtoken';
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';

const SECRET = 'test-secret-test-secret-test-secret';
const INVALID_TOKEN = { detail: 'Given token not valid for any token type' };

let server: TestServer;
let access: string;
let refresh: string;

beforeAll(async () => {
  server = await startTestServer({ JWT_SECRET: SECRET });
  ({ access, refresh } = await registerAndLogin(server, 'claims-user'));
});

afterAll(() => server?.close());

/** The claims of `token`, re-signed with the server's secret after `change`. */
function resigned(token: string, change: (claims: Record<string, unknown>) => void): string {
  const claims = jwt.decode(token) as Record<string, unknown>;
  change(claims);
  return jwt.sign(claims, SECRET, { algorithm: 'HS256' });
}

const withoutExp = (token: string) =>
  resigned(token, (c) => {
    delete c.exp;
  });
const withFreshExp = (token: string) =>
  resigned(token, (c) => {
    c.exp = Math.floor(Date.now() / 1000) + 600;
  });

describe('given an access token signed with the right secret', () => {
  it('when it has an exp, then REST accepts it (the forgery itself is sound)', async () => {
    expect((await api(server, 'GET', '/api/users/me/', undefined, bearer(withFreshExp(access)))).status).toBe(200);
  });

  it('when it has no exp, then REST refuses it with 401', async () => {
    const res = await api(server, 'GET', '/api/users/me/', undefined, bearer(withoutExp(access)));
    expect(res).toMatchObject({ status: 401, body: INVALID_TOKEN });
  });

  it('when it has no exp, then GraphQL refuses it', async () => {
    const res = await api(server, 'POST', '/graphql', { query: '{ me { id } }' }, bearer(withoutExp(access)));
    // Refused at the HTTP layer (401) or by the resolver (UNAUTHENTICATED): either way no user is answered.
    expect(res.body?.data?.me ?? null).toBeNull();
    expect(res.status === 401 || res.body?.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED').toBe(true);
  });
});

describe('given a refresh token signed with the right secret but without exp', () => {
  it('then the refresh endpoint refuses it with 401', async () => {
    const res = await api(server, 'POST', '/api/auth/refresh/', { refresh: withoutExp(refresh) });
    expect(res).toMatchObject({ status: 401, body: INVALID_TOKEN });
  });
});
