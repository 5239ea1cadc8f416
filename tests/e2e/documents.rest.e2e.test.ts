/**
 * The Documents App (spec/api.md, DESIGN.md "Documents") over real HTTP against a real server:
 * multipart uploads of the seven formats, role and membership rules, the limits and refusals (each
 * checked to append nothing), list filters and pagination, pin, watch, bulk actions, delete and the
 * per-user upload rate limit. Ingestion runs in the same server, so a document may already be
 * `ready` when read; what ingestion produces is tested with the ingestion jobs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { recordingApi, uniqueName } from '../support/e2e.js';
import { makeDocx, makePdf } from '../support/fixtures.js';
import {
  bearer,
  registerAndLogin,
  type Session,
  STRONG_PASSWORD,
  startTestServer,
  type TestServer,
} from '../support/server.js';

const NO_CREDENTIALS = { detail: 'Authentication credentials were not provided.' };
const INVALID_TOKEN = { detail: 'Given token not valid for any token type' };
const FORBIDDEN = { detail: 'You do not have permission to perform this action.' };
const NOT_FOUND = { detail: 'Not found.' };
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const DOCUMENT_KEYS = [
  'chunk_count',
  'created_at',
  'filename',
  'id',
  'metadata',
  'mime_type',
  'pinned',
  'size',
  'status',
  'watched',
  'workspace',
];

let server: TestServer;
let http: ReturnType<typeof recordingApi>;
let admin: Session;
let manager: Session;
/** alice is a default member of `workspace`; bob is a default user in no workspace. */
let alice: Session;
let bob: Session;
let workspace: any;
let otherWorkspace: any;

const as = (s: Session) => bearer(s.access);

/**
 * `stream:type` of the events people's requests appended after `position`. Ingestion jobs of earlier
 * uploads run in the same server and append on their own (actorType 'system'): those are not the request's.
 */
async function appendedSince(on: TestServer, position: number): Promise<string[]> {
  const events = await on.deps.store.readAll({ after: position });
  return events.filter((e) => e.metadata.actorType !== 'system').map((e) => `${e.streamName}:${e.type}`);
}

/** Runs `request` and asserts it appended no event (jobs aside, see appendedSince). */
async function expectAppendsNothing<T>(on: TestServer, request: () => Promise<T>): Promise<T> {
  const before = await on.head();
  const result = await request();
  expect(await appendedSince(on, before)).toEqual([]);
  return result;
}

interface UploadForm {
  workspaceId?: unknown;
  name?: string;
  bytes?: Buffer;
  metadata?: string;
  type?: string;
  extra?: Record<string, string>;
  secondFile?: boolean;
}

/** A real multipart/form-data POST (fetch + FormData), as a browser sends it. */
async function upload(who: Session | null, form: UploadForm, headers: Record<string, string> = {}) {
  const body = new FormData();
  if (form.workspaceId !== undefined) body.set('workspace_id', String(form.workspaceId));
  if (form.metadata !== undefined) body.set('metadata', form.metadata);
  for (const [k, v] of Object.entries(form.extra ?? {})) body.set(k, v);
  if (form.bytes)
    body.append(
      'file',
      new Blob([form.bytes], { type: form.type ?? 'application/octet-stream' }),
      form.name ?? 'file.txt',
    );
  if (form.secondFile) body.append('file', new Blob(['again']), 'again.txt');
  const res = await fetch(`${server.url}/api/documents/upload/`, {
    method: 'POST',
    headers: { ...(who ? as(who) : {}), ...headers },
    body,
  });
  const text = await res.text();
  let json: any = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* left as text */
  }
  http.bodies.push({ request: 'POST /api/documents/upload/', status: res.status, text });
  return { status: res.status, body: json };
}

/** Uploads a small text document as admin (unless told) and answers its body; fails the test on anything but 201. */
async function uploadText(
  name = `${uniqueName('doc')}.txt`,
  text = 'Plain words for a plain document.',
  who: Session = admin,
  workspaceId = workspace.id,
) {
  const res = await upload(who, { workspaceId, name, bytes: Buffer.from(text), type: 'text/plain' });
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function createWorkspace() {
  const res = await http.call('POST', '/api/workspaces/', { name: `Docs ${uniqueName('ws')}` }, as(admin));
  if (res.status !== 201) throw new Error(`create workspace: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

beforeAll(async () => {
  server = await startTestServer({ UPLOAD_MAX_MB: '1', RATE_LIMIT_UPLOAD_PER_MIN: '1000' });
  http = recordingApi(server);
  admin = await registerAndLogin(http, { prefix: 'docadmin' });
  manager = await registerAndLogin(http, { prefix: 'docmgr' });
  const promoted = await http.call('PATCH', `/api/users/${manager.user.id}/`, { role: 'manager' }, as(admin));
  if (promoted.status !== 200) throw new Error(`promote: ${promoted.status}`);
  alice = await registerAndLogin(http, { prefix: 'docalice' });
  bob = await registerAndLogin(http, { prefix: 'docbob' });
  workspace = await createWorkspace();
  otherWorkspace = await createWorkspace();
  const added = await http.call(
    'POST',
    `/api/workspaces/${workspace.slug}/add_user/`,
    { user_id: alice.user.id },
    as(admin),
  );
  if (added.status !== 200) throw new Error(`add_user: ${added.status}`);
});

afterAll(async () => {
  await server?.close();
});

describe('POST /api/documents/upload/', () => {
  const formats: [string, string, () => Promise<Buffer> | Buffer, string][] = [
    ['txt', 'notes.txt', () => Buffer.from('Plain text about lighthouses.'), 'text/plain'],
    ['md', 'readme.md', () => Buffer.from('# Title\n\nSome *markdown* here.'), 'text/markdown'],
    ['csv', 'table.csv', () => Buffer.from('name,age\nada,36\nalan,41\n'), 'text/csv'],
    ['json', 'data.json', () => Buffer.from('{"lighthouse": {"height": 42}}'), 'application/json'],
    [
      'html',
      'page.html',
      () => Buffer.from('<!doctype html><html><body><p>Hello page</p><script>x()</script></body></html>'),
      'text/html',
    ],
    ['pdf', 'paper.pdf', () => makePdf('a phrase inside a portable document'), 'application/pdf'],
    [
      'docx',
      'letter.docx',
      () => makeDocx(['A phrase inside a word document.']),
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    ],
  ];

  it.each(formats)(
    'given an admin, when it uploads a %s file, then 201 with the document as GET shows it, and the file is kept',
    async (_format, name, make, mime) => {
      const bytes = await make();
      const before = await server.head();
      const res = await upload(admin, {
        workspaceId: workspace.id,
        name,
        bytes,
        metadata: '{"source": "manual_upload", "tags": ["a"]}',
      });
      expect(res.status).toBe(201);
      expect(
        Object.keys(res.body)
          .filter((k) => k !== 'error')
          .sort(),
      ).toEqual(DOCUMENT_KEYS);
      expect(res.body).toMatchObject({
        id: expect.any(Number),
        filename: name,
        workspace: workspace.id,
        pinned: false,
        watched: false,
        metadata: { source: 'manual_upload', tags: ['a'] },
        size: bytes.length,
        mime_type: mime,
        chunk_count: expect.any(Number),
        created_at: expect.stringMatching(ISO_UTC),
      });
      expect(['processing', 'ready']).toContain(res.body.status);

      const got = await http.call('GET', `/api/documents/${res.body.id}/`, undefined, as(admin));
      expect(got.status).toBe(200);
      expect({ ...got.body, status: res.body.status, chunk_count: res.body.chunk_count }).toEqual(res.body);

      const stored = path.join(server.dataDir, 'files', `${res.body.id}-${name}`);
      expect(fs.readFileSync(stored).equals(bytes)).toBe(true);
      const appended = await appendedSince(server, before);
      expect(appended).toContain(`document-${res.body.id}:DocumentUploaded`);
      expect(appended).toContain('sequence-document:IdAllocated');
    },
  );

  it('given a manager, when it uploads, then 201; and the workspace counts the document', async () => {
    const ws = await createWorkspace();
    const res = await upload(manager, { workspaceId: ws.id, name: 'm.md', bytes: Buffer.from('# by a manager') });
    expect(res.status).toBe(201);
    const after = await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(admin));
    expect(after.body.document_count).toBe(1);
  });

  it('given metadata left out, then it is an empty object', async () => {
    const res = await upload(admin, { workspaceId: workspace.id, name: 'bare.txt', bytes: Buffer.from('bare') });
    expect(res.status).toBe(201);
    expect(res.body.metadata).toEqual({});
  });

  it('sanitises the stored and shown name: no directories, no control or markup characters', async () => {
    const res = await upload(admin, {
      workspaceId: workspace.id,
      name: '../../etc/pa<ss>|wd?*.txt',
      bytes: Buffer.from('x'),
    });
    expect(res).toMatchObject({ status: 201 });
    expect(res.body.filename).toBe('pa_ss_wd_.txt');
    expect(fs.readdirSync(path.join(server.dataDir, 'files'))).toContain(`${res.body.id}-pa_ss_wd_.txt`);
    expect(fs.existsSync(path.join(server.dataDir, 'etc'))).toBe(false);
  });

  it('keeps the letters of a non-ASCII file name (UTF-8 in the part header), replacing only punctuation', async () => {
    const res = await upload(admin, {
      workspaceId: workspace.id,
      name: 'Überblick – März.md',
      bytes: Buffer.from('# ü'),
    });
    expect(res.status).toBe(201);
    expect(res.body.filename).toBe('Überblick – März.md'.replace('–', '_'));
  });

  it('accepts a file of exactly UPLOAD_MAX_MB, and refuses one byte more with 413 {"error"}, appending nothing', async () => {
    const limit = 1024 * 1024;
    const ok = await upload(admin, { workspaceId: workspace.id, name: 'limit.txt', bytes: Buffer.alloc(limit, 'a') });
    expect(ok.status).toBe(201);
    expect(ok.body.size).toBe(limit);
    const res = await expectAppendsNothing(server, () =>
      upload(admin, { workspaceId: workspace.id, name: 'big.txt', bytes: Buffer.alloc(limit + 1, 'a') }),
    );
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: expect.stringMatching(/1 MB/) });
  });

  it('refuses a file whose type is not supported, judged by name and by content, with 400 on "file", appending nothing', async () => {
    const cases: [string, Buffer][] = [
      ['tool.exe', Buffer.from('MZ\x90\x00binary')],
      ['fake.pdf', Buffer.from('just text pretending to be a PDF')],
      ['fake.docx', Buffer.from('PK not really a zip')],
      ['broken.json', Buffer.from('{"unterminated": ')],
      ['binary.txt', Buffer.from([0x00, 0xff, 0x10, 0x00])],
      ['noext', Buffer.from('plain words without a name')],
    ];
    for (const [name, bytes] of cases) {
      const res = await expectAppendsNothing(server, () => upload(admin, { workspaceId: workspace.id, name, bytes }));
      expect([name, res.status]).toEqual([name, 400]);
      expect(res.body).toEqual({
        error: expect.stringMatching(/Unsupported file type/),
        field_errors: { file: [expect.stringMatching(/txt, md, csv, json, html, pdf or docx/)] },
      });
    }
    const filesDir = path.join(server.dataDir, 'files');
    expect(
      (fs.existsSync(filesDir) ? fs.readdirSync(filesDir) : []).filter((f) => /exe|fake|broken|binary|noext/.test(f)),
    ).toEqual([]);
  });

  it('refuses malformed requests with 400 and field errors, appending nothing', async () => {
    const file = { name: 'ok.txt', bytes: Buffer.from('ok') };
    const cases: [UploadForm, string, RegExp][] = [
      [{ ...file }, 'workspace_id', /required/],
      [{ ...file, workspaceId: 'abc' }, 'workspace_id', /integer/],
      [{ ...file, workspaceId: '-3' }, 'workspace_id', /integer/],
      [{ workspaceId: workspace.id }, 'file', /No file/],
      [{ ...file, workspaceId: workspace.id, metadata: '{"source": ' }, 'metadata', /valid JSON/],
      [{ ...file, workspaceId: workspace.id, metadata: '["a"]' }, 'metadata', /JSON object/],
      [{ ...file, workspaceId: workspace.id, metadata: '"text"' }, 'metadata', /JSON object/],
      [{ ...file, workspaceId: workspace.id, secondFile: true }, 'file', /exactly one file/],
    ];
    for (const [form, field, message] of cases) {
      const res = await expectAppendsNothing(server, () => upload(admin, form));
      expect([field, res.status]).toEqual([field, 400]);
      expect(res.body.field_errors[field]).toEqual([expect.stringMatching(message)]);
      expect(typeof res.body.error).toBe('string');
    }
  });

  it('refuses a JSON body (uploads are multipart) with 400, appending nothing', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', '/api/documents/upload/', { workspace_id: workspace.id }, as(admin)),
    );
    expect(res.status).toBe(400);
    expect(res.body.field_errors.file).toBeDefined();
  });

  it('refuses a part header with control characters as a malformed body (400), appending nothing', async () => {
    const res = await expectAppendsNothing(server, () =>
      upload(admin, { workspaceId: workspace.id, name: 'bell\u0007.txt', bytes: Buffer.from('x') }),
    );
    expect(res).toEqual({ status: 400, body: { error: 'Malformed multipart body.', field_errors: {} } });
  });

  it('refuses a truncated multipart body with 400, appending nothing', async () => {
    const res = await expectAppendsNothing(server, async () => {
      const r = await fetch(`${server.url}/api/documents/upload/`, {
        method: 'POST',
        headers: { ...as(admin), 'Content-Type': 'multipart/form-data; boundary=XYZ' },
        body: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhalf a fi',
      });
      return { status: r.status, body: await r.json() };
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: expect.any(String), field_errors: expect.any(Object) });
  });

  it('answers 404 for a workspace that does not exist, appending nothing', async () => {
    const res = await expectAppendsNothing(server, () =>
      upload(admin, { workspaceId: 999999, name: 'a.txt', bytes: Buffer.from('a') }),
    );
    expect(res).toEqual({ status: 404, body: NOT_FOUND });
  });

  it('answers 404 for a deleted workspace, appending nothing', async () => {
    const ws = await createWorkspace();
    expect((await http.call('DELETE', `/api/workspaces/${ws.slug}/`, undefined, as(admin))).status).toBe(204);
    const res = await expectAppendsNothing(server, () =>
      upload(admin, { workspaceId: ws.id, name: 'a.txt', bytes: Buffer.from('a') }),
    );
    expect(res).toEqual({ status: 404, body: NOT_FOUND });
  });

  it('forbids default users (members or not) with 403, appending nothing', async () => {
    for (const who of [alice, bob]) {
      const res = await expectAppendsNothing(server, () =>
        upload(who, { workspaceId: workspace.id, name: 'a.txt', bytes: Buffer.from('a') }),
      );
      expect(res).toEqual({ status: 403, body: FORBIDDEN });
    }
  });

  it('answers 401 without credentials or with a bad token, appending nothing', async () => {
    const anonymous = await expectAppendsNothing(server, () =>
      upload(null, { workspaceId: workspace.id, name: 'a.txt', bytes: Buffer.from('a') }),
    );
    expect(anonymous).toEqual({ status: 401, body: NO_CREDENTIALS });
    const bad = await expectAppendsNothing(server, () =>
      upload(
        null,
        { workspaceId: workspace.id, name: 'a.txt', bytes: Buffer.from('a') },
        { Authorization: 'Bearer nope' },
      ),
    );
    expect(bad).toEqual({ status: 401, body: INVALID_TOKEN });
  });

  it('given the same Idempotency-Key, when the upload is retried, then the first document is answered and nothing new is appended', async () => {
    const key = uniqueName('key');
    const form = { workspaceId: workspace.id, name: 'once.txt', bytes: Buffer.from('once') };
    const first = await upload(admin, form, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    const again = await expectAppendsNothing(server, () => upload(admin, form, { 'Idempotency-Key': key }));
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
  });

  it('logs the upload as document_uploaded with who did it and without chunk texts', async () => {
    const doc = await uploadText();
    const logs = await http.call('GET', '/api/system/event-logs/?event=document_uploaded', undefined, as(admin));
    const entry = logs.body.find((e: any) => e.metadata.document_id === doc.id);
    expect(entry).toMatchObject({
      event: 'document_uploaded',
      user_id: admin.user.id,
      metadata: { workspace_id: workspace.id, filename: doc.filename },
    });
  });
});

describe('GET /api/documents/', () => {
  let mine: any[];
  let elsewhere: any;

  beforeAll(async () => {
    mine = [];
    for (let i = 0; i < 3; i++) mine.push(await uploadText(`list-${i}.txt`));
    elsewhere = await uploadText('elsewhere.txt', 'other', admin, otherWorkspace.id);
    expect((await http.call('POST', `/api/documents/${mine[0].id}/pin/`, { pin: true }, as(admin))).status).toBe(200);
    expect((await http.call('POST', `/api/documents/${mine[1].id}/watch/`, { watch: true }, as(admin))).status).toBe(
      200,
    );
  });

  it('answers a plain array without limit, each document in the spec shape', async () => {
    const res = await http.call('GET', `/api/documents/?workspace=${workspace.id}`, undefined, as(admin));
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    for (const d of res.body)
      expect(
        Object.keys(d)
          .filter((k) => k !== 'error')
          .sort(),
      ).toEqual(DOCUMENT_KEYS);
    expect(res.body.map((d: any) => d.id)).toEqual(expect.arrayContaining(mine.map((d) => d.id)));
    expect(res.body.every((d: any) => d.workspace === workspace.id)).toBe(true);
  });

  it('filters by pinned and watched', async () => {
    const pinned = await http.call(
      'GET',
      `/api/documents/?workspace=${workspace.id}&pinned=true`,
      undefined,
      as(admin),
    );
    expect(pinned.body.map((d: any) => d.id)).toEqual([mine[0].id]);
    const watched = await http.call(
      'GET',
      `/api/documents/?workspace=${workspace.id}&watched=true`,
      undefined,
      as(admin),
    );
    expect(watched.body.map((d: any) => d.id)).toEqual([mine[1].id]);
    const unpinned = await http.call(
      'GET',
      `/api/documents/?workspace=${workspace.id}&pinned=false`,
      undefined,
      as(admin),
    );
    expect(unpinned.body.map((d: any) => d.id)).not.toContain(mine[0].id);
    expect(unpinned.body.map((d: any) => d.id)).toContain(mine[1].id);
  });

  it('filters by status: every status filter answers only documents in that status, together all of them', async () => {
    const all = await http.call('GET', `/api/documents/?workspace=${otherWorkspace.id}`, undefined, as(admin));
    let total = 0;
    for (const status of ['processing', 'ready', 'failed']) {
      const res = await http.call(
        'GET',
        `/api/documents/?workspace=${otherWorkspace.id}&status=${status}`,
        undefined,
        as(admin),
      );
      expect(res.body.every((d: any) => d.status === status)).toBe(true);
      total += res.body.length;
    }
    expect(total).toBe(all.body.length);
    const none = await http.call('GET', `/api/documents/?status=unheard-of`, undefined, as(admin));
    expect(none.body).toEqual([]);
  });

  it('refuses a malformed filter value with 400', async () => {
    const res = await http.call('GET', '/api/documents/?pinned=maybe', undefined, as(admin));
    expect(res.status).toBe(400);
    expect(res.body.field_errors.pinned).toBeDefined();
  });

  it('paginates with limit and offset into {count, next, previous, results}', async () => {
    const first = await http.call('GET', `/api/documents/?workspace=${workspace.id}&limit=2`, undefined, as(admin));
    expect(first.status).toBe(200);
    expect(first.body.results).toHaveLength(2);
    expect(first.body.previous).toBeNull();
    expect(first.body.next).toBe(`${server.url}/api/documents/?workspace=${workspace.id}&limit=2&offset=2`);
    const second = await http.call(
      'GET',
      new URL(first.body.next).pathname + new URL(first.body.next).search,
      undefined,
      as(admin),
    );
    expect(second.body.count).toBe(first.body.count);
    expect(second.body.previous).toBe(`${server.url}/api/documents/?workspace=${workspace.id}&limit=2`);
    const ids = [...first.body.results, ...second.body.results].map((d: any) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('shows a default member only the documents of her workspaces, and a user in none nothing', async () => {
    const forAlice = await http.call('GET', '/api/documents/', undefined, as(alice));
    expect(forAlice.status).toBe(200);
    expect(forAlice.body.map((d: any) => d.id)).toEqual(expect.arrayContaining(mine.map((d) => d.id)));
    expect(forAlice.body.map((d: any) => d.id)).not.toContain(elsewhere.id);
    expect(forAlice.body.every((d: any) => d.workspace === workspace.id)).toBe(true);
    const forBob = await http.call('GET', '/api/documents/?limit=10', undefined, as(bob));
    expect(forBob.body).toEqual({ count: 0, next: null, previous: null, results: [] });
  });

  it('GET one: 200 for those who may see it, 404 for others and for ids that name nothing', async () => {
    expect((await http.call('GET', `/api/documents/${mine[2].id}/`, undefined, as(alice))).status).toBe(200);
    expect(await http.call('GET', `/api/documents/${elsewhere.id}/`, undefined, as(alice))).toMatchObject({
      status: 404,
      body: NOT_FOUND,
    });
    expect(await http.call('GET', `/api/documents/${mine[2].id}/`, undefined, as(bob))).toMatchObject({
      status: 404,
      body: NOT_FOUND,
    });
    expect(await http.call('GET', '/api/documents/99999999/', undefined, as(admin))).toMatchObject({
      status: 404,
      body: NOT_FOUND,
    });
    expect(await http.call('GET', '/api/documents/abc/', undefined, as(admin))).toMatchObject({
      status: 404,
      body: NOT_FOUND,
    });
  });

  it('answers 401 without credentials', async () => {
    expect(await http.call('GET', '/api/documents/')).toMatchObject({ status: 401, body: NO_CREDENTIALS });
  });

  it('serves the same routes under /api/v1', async () => {
    const res = await http.call('GET', `/api/v1/documents/${mine[0].id}/`, undefined, as(admin));
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(mine[0].id);
  });
});

describe('pin and watch', () => {
  it('pins and unpins, answering the document; the same request twice appends nothing the second time', async () => {
    const doc = await uploadText();
    const before = await server.head();
    const pinned = await http.call('POST', `/api/documents/${doc.id}/pin/`, { pin: true }, as(manager));
    expect(pinned.status).toBe(200);
    expect(pinned.body).toMatchObject({ id: doc.id, pinned: true, watched: false });
    expect(await appendedSince(server, before)).toEqual([`document-${doc.id}:DocumentPinned`]);
    const again = await expectAppendsNothing(server, () =>
      http.call('POST', `/api/documents/${doc.id}/pin/`, { pin: true }, as(admin)),
    );
    expect(again.body.pinned).toBe(true);
    const unpinned = await http.call('POST', `/api/documents/${doc.id}/pin/`, { pin: false }, as(admin));
    expect(unpinned.body.pinned).toBe(false);
    const logs = await http.call('GET', '/api/system/event-logs/?event=document_pinned', undefined, as(admin));
    expect(logs.body.some((e: any) => e.metadata.document_id === doc.id)).toBe(true);
  });

  it('watches and unwatches', async () => {
    const doc = await uploadText();
    const watched = await http.call('POST', `/api/documents/${doc.id}/watch/`, { watch: true }, as(admin));
    expect(watched).toMatchObject({ status: 200, body: { id: doc.id, watched: true } });
    const unwatched = await http.call('POST', `/api/documents/${doc.id}/watch/`, { watch: false }, as(admin));
    expect(unwatched.body.watched).toBe(false);
  });

  it('refuses what may not be done, appending nothing: 401, 403 for default users, 400 for a bad body, 404 for nothing', async () => {
    const doc = await uploadText();
    for (const [route, field] of [
      ['pin', 'pin'],
      ['watch', 'watch'],
    ]) {
      const url = `/api/documents/${doc.id}/${route}/`;
      expect(await expectAppendsNothing(server, () => http.call('POST', url, { [field]: true }))).toMatchObject({
        status: 401,
        body: NO_CREDENTIALS,
      });
      expect(
        await expectAppendsNothing(server, () => http.call('POST', url, { [field]: true }, as(alice))),
      ).toMatchObject({ status: 403, body: FORBIDDEN });
      expect(
        await expectAppendsNothing(server, () => http.call('POST', url, { [field]: true }, as(bob))),
      ).toMatchObject({ status: 403, body: FORBIDDEN });
      const bad = await expectAppendsNothing(server, () => http.call('POST', url, { [field]: 'yes' }, as(admin)));
      expect(bad.status).toBe(400);
      expect(bad.body.field_errors[field]).toEqual(['Must be a valid boolean.']);
      const missing = await expectAppendsNothing(server, () => http.call('POST', url, {}, as(admin)));
      expect(missing.body.field_errors[field]).toEqual(['This field is required.']);
      const malformed = await expectAppendsNothing(server, () => http.call('POST', url, '{"pin": tru', as(admin)));
      expect(malformed.status).toBe(400);
      expect(
        await expectAppendsNothing(server, () =>
          http.call('POST', `/api/documents/99999999/${route}/`, { [field]: true }, as(admin)),
        ),
      ).toMatchObject({ status: 404, body: NOT_FOUND });
    }
  });
});

/** The file-cleanup reactor removes a deleted document's file shortly after the deletion. */
async function fileGone(file: string) {
  for (let i = 0; i < 400 && fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 25));
  expect(fs.existsSync(file)).toBe(false);
}

describe('DELETE /api/documents/{id}/', () => {
  it('deletes: 204, the file goes, GET answers 404 and the workspace stops counting it', async () => {
    const ws = await createWorkspace();
    const doc = await uploadText('bye.txt', 'bye', admin, ws.id);
    const stored = path.join(server.dataDir, 'files', `${doc.id}-bye.txt`);
    expect(fs.existsSync(stored)).toBe(true);
    const res = await http.call('DELETE', `/api/documents/${doc.id}/`, undefined, as(admin));
    expect(res.status).toBe(204);
    await fileGone(stored);
    expect((await http.call('GET', `/api/documents/${doc.id}/`, undefined, as(admin))).status).toBe(404);
    expect((await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(admin))).body.document_count).toBe(0);
    expect(
      await expectAppendsNothing(server, () => http.call('DELETE', `/api/documents/${doc.id}/`, undefined, as(admin))),
    ).toMatchObject({ status: 404 });
  });

  it('deleting a workspace removes the files of its documents, and only those', async () => {
    const ws = await createWorkspace();
    const docs = [await uploadText('one.txt', 'one', admin, ws.id), await uploadText('two.txt', 'two', admin, ws.id)];
    const elsewhere = await uploadText('stays.txt', 'stays', admin, workspace.id);
    const stored = docs.map((d) => path.join(server.dataDir, 'files', `${d.id}-${d.filename}`));
    for (const file of stored) expect(fs.existsSync(file)).toBe(true);
    expect((await http.call('DELETE', `/api/workspaces/${ws.slug}/`, undefined, as(admin))).status).toBe(204);
    for (const file of stored) await fileGone(file);
    expect(fs.existsSync(path.join(server.dataDir, 'files', `${elsewhere.id}-stays.txt`))).toBe(true);
  });

  it('forbids default users, appending nothing and keeping the file', async () => {
    const doc = await uploadText();
    expect(
      await expectAppendsNothing(server, () => http.call('DELETE', `/api/documents/${doc.id}/`, undefined, as(alice))),
    ).toMatchObject({ status: 403, body: FORBIDDEN });
    expect(fs.existsSync(path.join(server.dataDir, 'files', `${doc.id}-${doc.filename}`))).toBe(true);
  });
});

describe('POST /api/documents/bulk_action/', () => {
  it('applies the action to each document, answering {action, succeeded, failed}', async () => {
    const a = await uploadText();
    const b = await uploadText();
    const res = await http.call(
      'POST',
      '/api/documents/bulk_action/',
      { document_ids: [a.id, b.id, 99999999, a.id], action: 'pin' },
      as(admin),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ action: 'pin', succeeded: [a.id, b.id], failed: { 99999999: 'Not found.' } });
    for (const doc of [a, b])
      expect((await http.call('GET', `/api/documents/${doc.id}/`, undefined, as(admin))).body.pinned).toBe(true);

    expect(
      (await http.call('POST', '/api/documents/bulk_action/', { document_ids: [a.id], action: 'unpin' }, as(admin)))
        .body,
    ).toEqual({ action: 'unpin', succeeded: [a.id], failed: {} });
    expect(
      (
        await http.call(
          'POST',
          '/api/documents/bulk_action/',
          { document_ids: [a.id, b.id], action: 'watch' },
          as(manager),
        )
      ).body,
    ).toEqual({ action: 'watch', succeeded: [a.id, b.id], failed: {} });
    const listed = await http.call('GET', `/api/documents/?id__in=${a.id},${b.id}`, undefined, as(admin));
    expect(listed.body.map((d: any) => [d.id, d.pinned, d.watched])).toEqual([
      [a.id, false, true],
      [b.id, true, true],
    ]);
    expect(
      (await http.call('POST', '/api/documents/bulk_action/', { document_ids: [b.id], action: 'unwatch' }, as(admin)))
        .body,
    ).toEqual({ action: 'unwatch', succeeded: [b.id], failed: {} });
  });

  it('deletes in bulk: the documents, their files and their count go', async () => {
    const ws = await createWorkspace();
    const a = await uploadText('a.txt', 'a', admin, ws.id);
    const b = await uploadText('b.txt', 'b', admin, ws.id);
    const res = await http.call(
      'POST',
      '/api/documents/bulk_action/',
      { document_ids: [a.id, b.id], action: 'delete' },
      as(admin),
    );
    expect(res.body).toEqual({ action: 'delete', succeeded: [a.id, b.id], failed: {} });
    expect((await http.call('GET', `/api/documents/?workspace=${ws.id}`, undefined, as(admin))).body).toEqual([]);
    for (const file of [`${a.id}-a.txt`, `${b.id}-b.txt`]) await fileGone(path.join(server.dataDir, 'files', file));
    expect((await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(admin))).body.document_count).toBe(0);
    const again = await expectAppendsNothing(server, () =>
      http.call('POST', '/api/documents/bulk_action/', { document_ids: [a.id], action: 'delete' }, as(admin)),
    );
    expect(again.body).toEqual({ action: 'delete', succeeded: [], failed: { [a.id]: 'Not found.' } });
  });

  it('refuses default users with 403 and malformed requests with 400, appending nothing', async () => {
    const doc = await uploadText();
    expect(
      await expectAppendsNothing(server, () =>
        http.call('POST', '/api/documents/bulk_action/', { document_ids: [doc.id], action: 'delete' }, as(alice)),
      ),
    ).toMatchObject({ status: 403, body: FORBIDDEN });
    expect(
      await expectAppendsNothing(server, () =>
        http.call('POST', '/api/documents/bulk_action/', { document_ids: [doc.id], action: 'pin' }),
      ),
    ).toMatchObject({ status: 401, body: NO_CREDENTIALS });
    const cases: [unknown, string][] = [
      [{ document_ids: [doc.id], action: 'shred' }, 'action'],
      [{ document_ids: [], action: 'pin' }, 'document_ids'],
      [{ document_ids: 'all', action: 'pin' }, 'document_ids'],
      [{ document_ids: ['x'], action: 'pin' }, 'document_ids.0'],
      [{ action: 'pin' }, 'document_ids'],
    ];
    for (const [body, field] of cases) {
      const res = await expectAppendsNothing(server, () =>
        http.call('POST', '/api/documents/bulk_action/', body, as(admin)),
      );
      expect([field, res.status]).toEqual([field, 400]);
      expect(res.body.field_errors[field]).toBeDefined();
    }
  });
});

describe('upload rate limit', () => {
  let limited: TestServer;
  afterAll(async () => {
    await limited?.close();
  });

  it('allows RATE_LIMIT_UPLOAD_PER_MIN uploads per user per minute, then 429 {"error"} appending nothing; other users keep their budget', async () => {
    limited = await startTestServer({ RATE_LIMIT_UPLOAD_PER_MIN: '2' });
    const post = async (access: string) => {
      const body = new FormData();
      body.set('workspace_id', String(ws.id));
      body.append('file', new Blob(['hello']), 'hello.txt');
      const res = await fetch(`${limited.url}/api/documents/upload/`, {
        method: 'POST',
        headers: bearer(access),
        body,
      });
      return { status: res.status, body: await res.json() };
    };
    const login = async (username: string) => {
      const reg = await fetch(`${limited.url}/api/users/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          username,
          email: `${username}@example.com`,
          password: STRONG_PASSWORD,
          password_confirm: STRONG_PASSWORD,
        }),
      });
      const res = await fetch(`${limited.url}/api/auth/login/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username, password: STRONG_PASSWORD }),
      });
      return { id: ((await reg.json()) as any).id as number, access: ((await res.json()) as any).access as string };
    };
    const { access: first } = await login(uniqueName('rl'));
    const { id: secondId, access: second } = await login(uniqueName('rl'));
    const wsRes = await fetch(`${limited.url}/api/workspaces/`, {
      method: 'POST',
      headers: { ...bearer(first), 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Limited' }),
    });
    const ws = (await wsRes.json()) as any;
    const promote = await fetch(`${limited.url}/api/users/${secondId}/`, {
      method: 'PATCH',
      headers: { ...bearer(first), 'Content-Type': 'application/json' },
      body: JSON.stringify({ role: 'manager' }),
    });
    expect(promote.status).toBe(200);

    expect((await post(first)).status).toBe(201);
    expect((await post(first)).status).toBe(201);
    const refused = await expectAppendsNothing(limited, () => post(first));
    expect(refused).toEqual({ status: 429, body: { error: expect.stringMatching(/Too many uploads/) } });
    expect((await post(second)).status).toBe(201);
  });
});

describe('no leaks', () => {
  it('no response showed a stack trace, a hash or a 5xx', () => {
    expect(http.leaks()).toEqual([]);
  });
});
