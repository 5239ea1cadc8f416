import http from 'node:http';
import { type MountedRoute, mountedRoutes, openApiPath } from '../support/express-routes.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * The served document over real HTTP, and its drift against the real app: the routes are read from
 * the running server's express router, so routes another branch adds are checked once merged.
 */
let server: TestServer;
let routes: MountedRoute[];
let doc: any;

beforeAll(async () => {
  server = await startTestServer();
  // The express app itself: startChronicle hands it to the HTTP server as its request listener.
  routes = mountedRoutes(server.server!.listeners('request')[0]);
  doc = await (await fetch(`${server.url}/api/schema/`)).json();
});

afterAll(async () => {
  await server?.close();
});

describe('GET /api/schema/', () => {
  it('answers the OpenAPI 3.1 document as JSON, with this server as its server URL', async () => {
    const res = await fetch(`${server.url}/api/schema/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as any;
    expect(body.openapi).toMatch(/^3\.1\./);
    expect(body.servers).toEqual([{ url: server.url, description: expect.any(String) }]);
  });

  it('takes the server URL from the request (Host as the client sent it)', async () => {
    // fetch() will not send another Host, so a plain http request.
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get(`${server.url}/api/schema/`, { headers: { Host: 'api.chronicle.example:8443' } }, (res) => {
          let text = '';
          res
            .setEncoding('utf8')
            .on('data', (chunk) => {
              text += chunk;
            })
            .on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(JSON.parse(body).servers[0].url).toBe('http://api.chronicle.example:8443');
  });

  it('is public: no token, or even a bad one, still gets it; and it appends no event', async () => {
    const before = await server.head();
    const res = await fetch(`${server.url}/api/schema/`, { headers: { Authorization: 'Bearer not-a-token' } });
    expect(res.status).toBe(200);
    expect(await server.head()).toBe(before);
  });

  it('is served under /api/v1/ too', async () => {
    const res = await fetch(`${server.url}/api/v1/schema/`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).paths).toEqual(doc.paths);
  });

  it('answers YAML for ?format=yaml, the same data', async () => {
    const res = await fetch(`${server.url}/api/schema/?format=yaml`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/yaml/);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const yaml = require('js-yaml') as { load(text: string): unknown };
    expect(yaml.load(await res.text())).toEqual(doc);
  });

  it("refuses an unknown format with a 400 in the spec's shape", async () => {
    const res = await fetch(`${server.url}/api/schema/?format=xml`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'Validation failed.', field_errors: { format: ['Use json or yaml.'] } });
  });
});

describe('GET /api/docs/', () => {
  it('answers the Swagger UI page with its own CSP, pointing at /api/schema/', async () => {
    const res = await fetch(`${server.url}/api/docs/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain('data-schema-url="/api/schema/"');
    expect(html).not.toMatch(/https?:\/\//i);
  });

  it('serves every asset the page references from this host', async () => {
    const html = await (await fetch(`${server.url}/api/docs/`)).text();
    const urls = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(urls.length).toBeGreaterThanOrEqual(4);
    for (const url of urls) {
      expect(url.startsWith('/api/docs/assets/')).toBe(true);
      const res = await fetch(server.url + url);
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
  });

  it('answers 404 for an asset outside the fixed list', async () => {
    expect((await fetch(`${server.url}/api/docs/assets/package.json`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/docs/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
  });
});

describe('the document and the mounted routes agree', () => {
  const documented = () =>
    new Set(
      Object.entries(doc.paths as Record<string, object>).flatMap(([path, item]) =>
        Object.keys(item).map((method) => `${method} ${path}`),
      ),
    );

  /** The API routes: under /api (the /api/v1 twins are the same routers), less the HTML docs pages. */
  const apiRoutes = () =>
    routes.filter(
      (r) => r.path.startsWith('/api/') && !r.path.startsWith('/api/v1/') && !r.path.startsWith('/api/docs/'),
    );

  it('finds the routes by walking the app (sanity: the walker sees known routes)', () => {
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    expect(keys).toEqual(
      expect.arrayContaining(['post /api/auth/login/', 'patch /api/v1/users/:id/', 'get /healthz', 'get /api/schema/']),
    );
    expect(apiRoutes().length).toBeGreaterThan(40);
  });

  it('documents every mounted /api route (method and path)', () => {
    const known = documented();
    const undocumented = apiRoutes()
      .map((r) => `${r.method} ${openApiPath(r.path)}`)
      .filter((key) => !known.has(key));
    expect(undocumented).toEqual([]);
  });

  it('mounts every /api route under /api/v1 as well', () => {
    const all = new Set(routes.map((r) => `${r.method} ${r.path}`));
    const missing = apiRoutes()
      .map((r) => `${r.method} /api/v1${r.path.slice('/api'.length)}`)
      .filter((key) => !all.has(key));
    expect(missing).toEqual([]);
  });

  /** `/api/documents/{id}/` → `/api/documents`; `/healthz` → `/healthz`: one app's routes share it. */
  const areaOf = (path: string) => (path.startsWith('/api/') ? path.split('/').slice(0, 3).join('/') : path);

  it('mounts every documented operation of each app whose routes this build has', () => {
    const mounted = new Set(routes.map((r) => `${r.method} ${openApiPath(r.path)}`));
    const mountedAreas = new Set(routes.map((r) => areaOf(r.path)));
    const checked = new Set<string>();
    const missing: string[] = [];
    for (const key of documented()) {
      const [method, path] = key.split(' ');
      // An app not mounted at all is on a branch not merged yet; once merged, its routes are held to the document.
      if (!mountedAreas.has(areaOf(path))) continue;
      checked.add(areaOf(path));
      if (!mounted.has(`${method} ${path}`)) missing.push(key);
    }
    expect(missing).toEqual([]);
    // The apps on this branch are all checked (a broken walker would skip them silently otherwise).
    expect([...checked]).toEqual(
      expect.arrayContaining([
        '/api/auth',
        '/api/users',
        '/api/workspaces',
        '/api/keys',
        '/api/embeddings',
        '/api/system',
        '/api/schema',
        '/healthz',
        '/readyz',
        '/metrics',
      ]),
    );
  });
});
