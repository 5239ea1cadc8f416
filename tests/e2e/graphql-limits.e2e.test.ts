import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';

/** Depth and complexity are limited, so no query can make the server walk the whole read store. */
describe('GraphQL limits', () => {
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer();
    token = (await registerAndLogin(server, 'limits')).access;
  });
  afterAll(() => server.close());

  const gql = (query: string) => api(server, 'POST', '/graphql', { query }, bearer(token));

  it('answers a nested query within the limits', async () => {
    const res = await gql('{ workspaces { id threads { id } users { username } } }');
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.workspaces).toEqual([]);
    expect(res.headers.get('cache-control')).toBe('no-store'); // per-user answers are never cached
  });

  it('refuses a query whose lists multiply past the complexity limit', async () => {
    const res = await gql('{ workspaces(limit: 1000) { threads { id name slug } users { id username email role } } }');
    expect(res.body.data ?? null).toBeNull();
    expect(res.body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
  });
});
