/**
 * `/metrics` over real HTTP: the request histogram counts each answered request under its route
 * pattern (never the raw path), method and status, for /api and /api/v1 alike and for error answers
 * too; and the routing that labels it (each resource router under its own prefix) still answers
 * unknown paths with the 404 body.
 */
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let token: string;

beforeAll(async () => {
  server = await startTestServer();
  token = (await registerAndLogin(server, 'metrics-admin')).access;
});

afterAll(async () => {
  await server?.close();
});

/** `http_request_duration_seconds_count{...}` values by `method route status`. */
async function requestCounts(): Promise<Map<string, number>> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  const counts = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^http_request_duration_seconds_count\{(.*)\} (\d+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
    counts.set(`${labels.method} ${labels.route} ${labels.status}`, Number(m[2]));
  }
  return counts;
}

const grew = (before: Map<string, number>, after: Map<string, number>, key: string) =>
  (after.get(key) ?? 0) - (before.get(key) ?? 0);

describe('GET /metrics', () => {
  it('counts requests by method, route pattern and status, under /api and /api/v1', async () => {
    const before = await requestCounts();
    for (let i = 0; i < 3; i++)
      expect((await api(server, 'GET', '/api/workspaces/', undefined, bearer(token))).status).toBe(200);
    expect((await api(server, 'GET', '/api/v1/workspaces/', undefined, bearer(token))).status).toBe(200);
    expect((await api(server, 'GET', '/api/users/me/', undefined, bearer(token))).status).toBe(200);
    const after = await requestCounts();
    expect(grew(before, after, 'GET /api/workspaces/ 200')).toBe(3);
    expect(grew(before, after, 'GET /api/v1/workspaces/ 200')).toBe(1);
    expect(grew(before, after, 'GET /api/users/me/ 200')).toBe(1);
  });

  it('labels an error answer with the full pattern of the route that refused it', async () => {
    const before = await requestCounts();
    const missing = await api(server, 'GET', '/api/workspaces/no-such-workspace/', undefined, bearer(token));
    expect(missing).toMatchObject({ status: 404, body: { detail: 'Not found.' } });
    expect((await api(server, 'GET', '/api/v1/workspaces/')).status).toBe(401);
    const after = await requestCounts();
    expect(grew(before, after, 'GET /api/workspaces/:slug/ 404')).toBe(1);
    expect([...after.keys()].filter((k) => k.includes('no-such-workspace'))).toEqual([]);
    // requireAuth runs in the router before any route matched: no pattern to name.
    expect(grew(before, after, 'GET unmatched 401')).toBe(1);
  });

  it('answers unknown paths with the 404 body, inside and outside the resource prefixes', async () => {
    const before = await requestCounts();
    for (const path of ['/api/nothing-here/', '/api/workspacesx/', '/api/v1/users/me/extra/', '/nothing/']) {
      const res = await api(server, 'GET', path, undefined, bearer(token));
      expect({ path, status: res.status, body: res.body }).toEqual({
        path,
        status: 404,
        body: { detail: 'Not found.' },
      });
    }
    const after = await requestCounts();
    expect(grew(before, after, 'GET unmatched 404')).toBe(4);
  });
});
