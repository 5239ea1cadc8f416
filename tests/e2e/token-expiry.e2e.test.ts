/**
 * An access token stops working at its expiry even after it was accepted (the REST authenticator keeps
 * tokens whose signature it already checked), over real HTTP with a 2 s access-token lifetime.
 */
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ ACCESS_TOKEN_TTL_SECONDS: '2' });
});

afterAll(async () => {
  await server?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('accepts a fresh access token on every request, then refuses it once expired', async () => {
  const { access } = await registerAndLogin(server, 'expiring-user');
  const exp = JSON.parse(Buffer.from(access.split('.')[1], 'base64url').toString()).exp as number;
  for (let i = 0; i < 3; i++)
    expect((await api(server, 'GET', '/api/users/me/', undefined, bearer(access))).status).toBe(200);
  await sleep(Math.max(0, exp * 1000 - Date.now()) + 200);
  const res = await api(server, 'GET', '/api/users/me/', undefined, bearer(access));
  expect(res).toMatchObject({ status: 401, body: { detail: 'Given token not valid for any token type' } });
});
