/**
 * REST writes read JSON only: a body sent as text/plain, a form, XML or with no Content-Type at all is
 * answered 415 {"error": ...} (as Django REST framework does) and appends nothing; JSON, a write with no
 * body, and the multipart document upload go on as before.
 */
import { expectAppendsNothing, uniqueName } from '../support/e2e.js';
import { bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let access: string;

beforeAll(async () => {
  server = await startTestServer();
  ({ access } = await registerAndLogin(server, uniqueName('admin')));
});

afterAll(() => server?.close());

/** A raw request with exactly the body and headers given (fetch adds no Content-Type for a Uint8Array). */
async function send(
  method: string,
  path: string,
  body: string | Uint8Array | FormData | undefined,
  headers: Record<string, string>,
) {
  const res = await fetch(server.url + path, { method, body, headers: { ...bearer(access), ...headers } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, type: res.headers.get('content-type') };
}

const WORKSPACE = JSON.stringify({ name: 'Typed wrong' });

describe.each([
  ['text/plain', WORKSPACE, { 'Content-Type': 'text/plain' }],
  ['no Content-Type', new TextEncoder().encode(WORKSPACE), {}],
  ['XML', '<workspace><name>Typed wrong</name></workspace>', { 'Content-Type': 'application/xml' }],
  ['a urlencoded form', 'name=Typed+wrong', { 'Content-Type': 'application/x-www-form-urlencoded' }],
] as const)('given a write whose body is %s', (_what, body, headers) => {
  it('when it creates a workspace, then 415 with an error and nothing is written', async () => {
    const res = await expectAppendsNothing(server, () => send('POST', '/api/workspaces/', body, headers));
    expect(res.status).toBe(415);
    expect(res.type).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error: expect.stringMatching(/^Unsupported media type/) });
  });

  it('when it goes to /api/v1 or a public endpoint, then 415 too', async () => {
    const v1 = await expectAppendsNothing(server, () => send('POST', '/api/v1/workspaces/', body, headers));
    expect(v1.status).toBe(415);
    const login = await expectAppendsNothing(server, () => send('POST', '/api/auth/login/', body, headers));
    expect(login.status).toBe(415);
  });
});

describe('given a write sent as multipart/form-data to a JSON endpoint', () => {
  it('then 415 and nothing is written', async () => {
    const form = new FormData();
    form.set('name', 'Typed wrong');
    const res = await expectAppendsNothing(server, () => send('POST', '/api/workspaces/', form, {}));
    expect(res.status).toBe(415);
  });
});

describe('given what JSON endpoints take', () => {
  it('when the body is JSON with a charset, then it is read', async () => {
    const res = await send('POST', '/api/workspaces/', JSON.stringify({ name: uniqueName('Typed') }), {
      'Content-Type': 'application/json; charset=utf-8',
    });
    expect(res.status).toBe(201);
  });

  it('when a document is uploaded as multipart/form-data, then the upload is accepted', async () => {
    const ws = await send('POST', '/api/workspaces/', JSON.stringify({ name: uniqueName('Docs') }), {
      'Content-Type': 'application/json',
    });
    const form = new FormData();
    form.set('workspace_id', String(ws.body.id));
    form.append('file', new Blob(['Some text.'], { type: 'text/plain' }), 'notes.txt');
    const res = await send('POST', '/api/documents/upload/', form, {});
    expect(res.status).toBe(201);
  });

  it('when a write has no body at all, then it is done as before', async () => {
    const res = await send('POST', '/api/keys/api-keys/generate/', undefined, {});
    expect(res.status).toBe(201);
  });
});
