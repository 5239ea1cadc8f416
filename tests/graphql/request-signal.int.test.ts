/**
 * A GraphQL request over HTTP makes its abort signal only when a resolver asks for it (a chat's model
 * call): a query that never reads it leaves no controller or listener behind.
 */
import http from 'node:http';
import { bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';

/** POST /graphql over node:http (which makes no AbortController of its own). */
function post(server: TestServer, token: string, query: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${server.url}/graphql`,
      { method: 'POST', headers: { 'Content-Type': 'application/json', ...bearer(token) } },
      (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ query }));
  });
}

describe('a GraphQL request’s abort signal', () => {
  let server: TestServer;
  const Original = globalThis.AbortController;
  let made = 0;

  beforeAll(async () => {
    server = await startTestServer();
    globalThis.AbortController = class Counted extends Original {
      constructor() {
        super();
        made++;
      }
    };
  });
  afterAll(async () => {
    globalThis.AbortController = Original;
    await server.close();
  });

  it('given a list query, when it is answered, then no abort controller was made for it', async () => {
    const { access } = await registerAndLogin(server, 'root');
    await post(server, access, '{ workspaces { id slug } }'); // warm: whatever is made once per process
    made = 0;
    const answer = await post(server, access, '{ workspaces { id slug name } }');
    expect(answer).toMatchObject({ status: 200, body: expect.stringContaining('"workspaces":[]') });
    expect(made).toBe(0);
  });
});
