import { expectAppendsNothing, uniqueName } from '../support/e2e.js';
import { type MountedRoute, mountedRoutes } from '../support/express-routes.js';
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';

/**
 * Malformed requests a careless or hostile client sends are answered with a 4xx in the documented
 * shapes ({error, field_errors} or {detail}), never a 500, and append nothing. The routes are read from
 * the running app, so a route added later is covered too.
 */
let server: TestServer;
let admin: string;
let routes: MountedRoute[];

beforeAll(async () => {
  server = await startTestServer();
  admin = (await registerAndLogin(server, uniqueName('admin'))).access;
  routes = mountedRoutes(server.server!.listeners('request')[0]);
});

afterAll(async () => {
  await server?.close();
});

/** A 4xx body in one of the spec's shapes. */
function expectDocumentedClientError(res: { status: number; body: any }, request: string) {
  expect({ request, status: res.status >= 400 && res.status < 500 }).toEqual({ request, status: true });
  const shaped = typeof res.body?.detail === 'string' || typeof res.body?.error === 'string';
  expect({ request, shaped, body: res.body }).toEqual({ request, shaped: true, body: res.body });
}

describe('a path segment with a bad percent-encoding', () => {
  it('is a 404 on every route with a path parameter, whatever the method', async () => {
    const withParams = routes.filter((r) => r.path.includes('/:') && r.method !== 'all');
    expect(withParams.length).toBeGreaterThan(20);
    for (const route of withParams) {
      const path = route.path.replace(/:\w+/g, '%ZZ');
      const method = route.method.toUpperCase();
      const res = await expectAppendsNothing(server, () =>
        api(server, method, path, method === 'GET' || method === 'DELETE' ? undefined : {}, bearer(admin)),
      );
      expectDocumentedClientError(res, `${method} ${path}`);
      // The segment names no resource, as an unknown id or slug does.
      expect({ request: `${method} ${path}`, status: res.status, body: res.body }).toEqual({
        request: `${method} ${path}`,
        status: 404,
        body: { detail: 'Not found.' },
      });
    }
  });
});

describe('query parameters named after Object.prototype members', () => {
  const PARAMS = [
    'constructor=x',
    'toString__gte=1',
    'hasOwnProperty__in=a,b',
    'valueOf=1',
    '__proto__=1',
    'constructor__icontains=x',
  ];

  it('are ignored like any parameter a list does not filter on, on every list endpoint', async () => {
    const lists = routes.filter(
      (r) =>
        r.method === 'get' && !r.path.includes(':') && r.path.startsWith('/api/') && !r.path.startsWith('/api/v1/'),
    );
    expect(lists.map((r) => r.path)).toEqual(
      expect.arrayContaining(['/api/system/event-logs/', '/api/users/', '/api/workspaces/', '/api/chats/']),
    );
    for (const route of lists) {
      for (const param of PARAMS) {
        const url = `${route.path}?${param}`;
        const res = await api(server, 'GET', url, undefined, bearer(admin));
        expect({ url, status: res.status < 500 }).toEqual({ url, status: true });
        if (res.status >= 400) expectDocumentedClientError(res, url);
      }
    }
  });

  it('leave the event log answering as without them', async () => {
    const plain = await api(server, 'GET', '/api/system/event-logs/?limit=5', undefined, bearer(admin));
    const odd = await api(
      server,
      'GET',
      '/api/system/event-logs/?limit=5&constructor=x&toString__gte=1&hasOwnProperty__in=a,b&valueOf=1',
      undefined,
      bearer(admin),
    );
    expect(odd.status).toBe(200);
    expect(odd.body.count).toBe(plain.body.count);
  });
});

describe('a JSON body nested 100,000 deep', () => {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  const deepObject = `{"name":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`;

  it.each([
    ['POST', '/api/workspaces/'],
    ['POST', '/api/users/'],
    ['POST', '/api/auth/login/'],
    ['POST', '/api/chats/export/'],
    ['POST', '/graphql'],
  ])('is a 400 at %s %s', async (method, path) => {
    for (const body of [deep, deepObject]) {
      const res = await expectAppendsNothing(server, () => api(server, method, path, body, bearer(admin)));
      expect(res.status).toBe(400);
      if (path !== '/graphql') expect(res.body).toEqual({ error: expect.any(String), field_errors: {} });
    }
  });

  it('leaves bodies of an ordinary depth alone', async () => {
    const res = await api(server, 'POST', '/api/workspaces/', { name: uniqueName('ws') }, bearer(admin));
    expect(res.status).toBe(201);
  });
});

describe('a search string past the bound', () => {
  // A URL holds at most 16 KB (larger is a 431 from Node), so REST gets a shorter one than GraphQL's 50 KB.
  const long = 'é'.repeat(2_000);

  it.each(['search', 'q', 'query'])('is a 400 naming `%s` on the REST lists that search', async (param) => {
    for (const path of ['/api/users/', '/api/workspaces/', '/api/chats/', '/api/chats/search/']) {
      const res = await api(server, 'GET', `${path}?${param}=${encodeURIComponent(long)}`, undefined, bearer(admin));
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.body).toEqual({
        error: 'Validation failed.',
        field_errors: { [param]: [expect.stringMatching(/at most \d+ characters/)] },
      });
    }
  });

  it('is a 400 naming the parameter for an __icontains lookup', async () => {
    const res = await api(
      server,
      'GET',
      `/api/chats/?prompt__icontains=${encodeURIComponent(long)}`,
      undefined,
      bearer(admin),
    );
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'Validation failed.',
      field_errors: { prompt__icontains: [expect.stringMatching(/at most \d+ characters/)] },
    });
  });

  it.each([
    ['users', '{ users(search: $term) { id } }'],
    ['workspaces', '{ workspaces(search: $term) { id } }'],
    ['chats', '{ chats(search: $term) { id } }'],
    ['searchChats', '{ searchChats(query: $term) { id } }'],
  ])('is refused as bad input in GraphQL %s, even at 50 KB', async (field, selection) => {
    const arg = field === 'searchChats' ? 'query' : 'search';
    for (const term of [long, 'é'.repeat(50_000)]) {
      const res = await api(
        server,
        'POST',
        '/graphql',
        { query: `query Q($term: String!) ${selection}`, variables: { term } },
        bearer(admin),
      );
      expect(res.status).toBeLessThan(500);
      expect(res.body.data ?? null).toBeNull();
      expect(res.body.errors).toEqual([
        expect.objectContaining({
          message: 'Validation failed.',
          extensions: {
            code: 'BAD_USER_INPUT',
            fieldErrors: { [arg]: [expect.stringMatching(/at most \d+ characters/)] },
          },
        }),
      ]);
    }
  });

  it('still finds what a search of ordinary length asks for', async () => {
    const name = uniqueName('Findmé');
    await api(server, 'POST', '/api/workspaces/', { name }, bearer(admin));
    const res = await api(
      server,
      'GET',
      `/api/workspaces/?search=${encodeURIComponent(name.toUpperCase())}`,
      undefined,
      bearer(admin),
    );
    expect(res.status).toBe(200);
    expect(res.body.map((w: any) => w.name)).toEqual([name]);
  });
});
