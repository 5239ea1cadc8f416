/**
 * Absolute links in answers (pagination's next/previous, the embed code) are built from PUBLIC_URL when
 * it is set, else from the request's Host only when ALLOWED_HOSTS allows it (by default this machine's
 * names): a `Host: evil.example` is never echoed. Real HTTP with the Host header set by hand.
 */
import http from 'node:http';
import { createEmbed, embedCode, registerAdmin, type EmbedOwner } from '../support/embed.js';
import { uniqueName } from '../support/e2e.js';
import { api, bearer, startTestServer, type TestServer } from '../support/server.js';

/** GET with exactly this Host header; answers status and parsed body. */
function getWithHost(
  server: TestServer,
  path: string,
  host: string,
  token: string,
): Promise<{ status: number; body: any }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { Host: host, ...bearer(token) } }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function serverWithWorkspaces(env: Record<string, string> = {}) {
  const server = await startTestServer(env);
  const admin = await registerAdmin(server);
  for (let i = 0; i < 3; i++)
    await api(server, 'POST', '/api/workspaces/', { name: uniqueName('Page') }, bearer(admin.access));
  return { server, admin };
}

describe('given the default allowed hosts', () => {
  let server: TestServer;
  let admin: EmbedOwner;
  beforeAll(async () => ({ server, admin } = await serverWithWorkspaces()));
  afterAll(() => server?.close());

  it('when the Host is evil.example, then the links name this machine, never the Host sent', async () => {
    const res = await getWithHost(server, '/api/workspaces/?limit=1&offset=1', 'evil.example', admin.access);
    expect(res.status).toBe(200);
    const { port } = new URL(server.url);
    expect(res.body.next).toBe(`http://localhost:${port}/api/workspaces/?limit=1&offset=2`);
    expect(res.body.previous).toBe(`http://localhost:${port}/api/workspaces/?limit=1`);
  });

  it('when the Host is the address the server is reached on, then the links use it', async () => {
    const { host } = new URL(server.url);
    const res = await getWithHost(server, '/api/workspaces/?limit=1', host, admin.access);
    expect(res.body.next).toBe(`http://${host}/api/workspaces/?limit=1&offset=1`);
  });

  it('when the Host is evil.example, then the embed code does not point there either', async () => {
    const workspace = (await api(server, 'GET', '/api/workspaces/', undefined, bearer(admin.access))).body[0];
    const embed = await createEmbed(server, admin, { workspace: workspace.id });
    const res = await getWithHost(
      server,
      `/api/embeddings/configs/${embed.uuid}/embed_code/`,
      'evil.example',
      admin.access,
    );
    expect(res.status).toBe(200);
    expect(res.body.embed_code).not.toContain('evil.example');
    expect(await embedCode(server, admin, embed.uuid)).toContain(server.url);
  });
});

describe('given PUBLIC_URL', () => {
  let server: TestServer;
  let admin: EmbedOwner;
  beforeAll(
    async () => ({ server, admin } = await serverWithWorkspaces({ PUBLIC_URL: 'https://chat.example.com/chronicle/' })),
  );
  afterAll(() => server?.close());

  it('then every link starts with it, whatever the Host', async () => {
    for (const host of ['evil.example', new URL(server.url).host]) {
      const res = await getWithHost(server, '/api/v1/workspaces/?limit=2', host, admin.access);
      expect(res.body.next).toBe('https://chat.example.com/chronicle/api/v1/workspaces/?limit=2&offset=2');
    }
  });
});

describe('given ALLOWED_HOSTS naming a domain and its subdomains', () => {
  let server: TestServer;
  let admin: EmbedOwner;
  beforeAll(async () => ({ server, admin } = await serverWithWorkspaces({ ALLOWED_HOSTS: '.example.org' })));
  afterAll(() => server?.close());

  it('then a Host under it is used, with its port, and any other is not', async () => {
    const allowed = await getWithHost(server, '/api/workspaces/?limit=1', 'api.example.org:8443', admin.access);
    expect(allowed.body.next).toBe('http://api.example.org:8443/api/workspaces/?limit=1&offset=1');
    for (const host of ['evil.example', 'example.org.evil.example', 'api.example.org@evil.example']) {
      const refused = await getWithHost(server, '/api/workspaces/?limit=1', host, admin.access);
      expect(refused.body.next).not.toContain('evil');
    }
  });
});
