/**
 * Where the API document and the server once disagreed, over real HTTP: each answer here goes through
 * the document check after this file too (tests/setup/openapi-conformance.ts), and for inputs the
 * document's own request schema is asked as a client validating against it would.
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { expectAppendsNothing, uniqueName } from '../support/e2e.js';
import { api, bearer, registerAndLogin, STRONG_PASSWORD, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let admin: { access: string };
let doc: any;
const ajv = addFormats(new Ajv2020({ strict: false }));

/** Whether the document's request body schema of `method path` accepts `body`. */
function documentAccepts(path: string, method: string, body: unknown): boolean {
  ajv.addSchema(doc, 'served');
  try {
    const pointer = `/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/requestBody/content/application~1json/schema`;
    return ajv.validate({ $ref: `served#${encodeURI(pointer)}` }, body) as boolean;
  } finally {
    ajv.removeSchema('served');
  }
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await registerAndLogin(server, uniqueName('admin'));
  doc = (await api(server, 'GET', '/api/schema/')).body;
});

afterAll(async () => {
  await server?.close();
});

describe('GET /api/schema/?format=xml', () => {
  it('answers 400 {error, field_errors.format}, which the document declares', async () => {
    const res = await api(server, 'GET', '/api/schema/?format=xml');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'Validation failed.', field_errors: { format: ['Use json or yaml.'] } });
    expect(Object.keys(doc.paths['/api/schema/'].get.responses)).toContain('400');
  });
});

describe('a JSON body past the 1 MB limit', () => {
  it('is refused with 413 {error}, declared on every operation that takes a JSON body, and appends nothing', async () => {
    const huge = { username: 'x'.repeat(1024 * 1024 + 1), password: STRONG_PASSWORD };
    const res = await expectAppendsNothing(server, () => api(server, 'POST', '/api/auth/login/', huge));
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: 'Request body is too large.' });
    const workspace = await expectAppendsNothing(server, () =>
      api(
        server,
        'POST',
        '/api/workspaces/',
        { name: 'n', openai_prompt: 'p'.repeat(1024 * 1024) },
        bearer(admin.access),
      ),
    );
    expect(workspace.status).toBe(413);
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        if (op.requestBody?.content?.['application/json'])
          expect([`${method} ${path}`, Object.keys(op.responses)]).toEqual([
            `${method} ${path}`,
            expect.arrayContaining(['413']),
          ]);
      }
    }
  });
});

describe('registration with an email whose domain label ends with a hyphen (edge@mail-.example.com)', () => {
  it("is refused by the document's `format: email` and by the server (400, field_errors.email), appending nothing", async () => {
    const username = uniqueName('edge');
    const body = {
      username,
      email: 'edge@mail-.example.com',
      password: STRONG_PASSWORD,
      password_confirm: STRONG_PASSWORD,
    };
    expect(documentAccepts('/api/users/', 'post', body)).toBe(false);
    const res = await expectAppendsNothing(server, () => api(server, 'POST', '/api/users/', body));
    expect(res.status).toBe(400);
    expect(res.body.field_errors).toEqual({ email: ['Enter a valid email address.'] });
  });

  it('while an ordinary hyphenated domain passes both', async () => {
    const username = uniqueName('hyphen');
    const body = {
      username,
      email: `${username}@mail-relay.example.com`,
      password: STRONG_PASSWORD,
      password_confirm: STRONG_PASSWORD,
    };
    expect(documentAccepts('/api/users/', 'post', body)).toBe(true);
    expect((await api(server, 'POST', '/api/users/', body)).status).toBe(201);
  });
});

describe('a thread or workspace name of one space', () => {
  it("is refused by the document's schema and by the server (400, field_errors.name), appending nothing", async () => {
    const workspace = await api(
      server,
      'POST',
      '/api/workspaces/',
      { name: uniqueName('Threads') },
      bearer(admin.access),
    );
    expect(workspace.status).toBe(201);
    const threads = `/api/workspaces/${workspace.body.slug}/threads/`;
    expect(documentAccepts('/api/workspaces/{slug}/threads/', 'post', { name: ' ' })).toBe(false);
    expect(documentAccepts('/api/workspaces/', 'post', { name: ' ' })).toBe(false);
    expect(documentAccepts('/api/workspaces/{slug}/threads/', 'post', { name: ' Budget ' })).toBe(true);

    const thread = await expectAppendsNothing(server, () =>
      api(server, 'POST', threads, { name: ' ' }, bearer(admin.access)),
    );
    expect(thread.status).toBe(400);
    expect(thread.body.field_errors).toEqual({ name: ['This field may not be blank.'] });
    const named = await expectAppendsNothing(server, () =>
      api(server, 'POST', '/api/workspaces/', { name: ' ' }, bearer(admin.access)),
    );
    expect(named.status).toBe(400);
    expect(named.body.field_errors).toEqual({ name: ['This field may not be blank.'] });
  });
});
