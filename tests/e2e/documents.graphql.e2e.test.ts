/**
 * The GraphQL face of documents: documents/document queries, pin, watch, delete and bulk mutations,
 * Workspace.documents, and the documentStatus subscription over graphql-ws. Uploads take the
 * documented REST hand-off (multipart POST /api/documents/upload/), as a GraphQL client would.
 */
import { uploadDocument } from '../support/documents.js';
import { recordingApi, uniqueName } from '../support/e2e.js';
import { closeGraphqlWsClients, connectGraphqlWs, subscribe, untilLive } from '../support/graphql-ws.js';
import { bearer, registerAndLogin, type Session, startTestServer, type TestServer } from '../support/server.js';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const DOCUMENT_FIELDS =
  'id filename workspaceId status pinned watched metadata size mimeType chunkCount error createdAt updatedAt';

let server: TestServer;
let http: ReturnType<typeof recordingApi>;
let admin: Session;
let manager: Session;
/** alice is a default member of `workspace`; bob a default user in none. */
let alice: Session;
let bob: Session;
let workspace: any;

const as = (s: Session) => bearer(s.access);

function gql(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  return http.call('POST', '/graphql', { query, variables }, headers);
}

function onlyError(body: any) {
  expect(body.errors).toHaveLength(1);
  return body.errors[0];
}

/** Events people's requests appended after the head seen first must be none (ingestion jobs of earlier uploads aside). */
async function expectAppendsNothing<T>(request: () => Promise<T>): Promise<T> {
  const before = await server.head();
  const result = await request();
  const events = await server.deps.store.readAll({ after: before });
  expect(events.filter((e) => e.metadata.actorType !== 'system').map((e) => `${e.streamName}:${e.type}`)).toEqual([]);
  return result;
}

async function restWorkspace() {
  const res = await http.call('POST', '/api/workspaces/', { name: `GQL docs ${uniqueName('ws')}` }, as(admin));
  if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The REST hand-off: a multipart upload, answering the document's REST body. */
const restUpload = (workspaceId: number, name = `${uniqueName('doc')}.md`, text = '# Heading\n\nSome words.') =>
  uploadDocument(server, admin.access, workspaceId, name, text, {
    type: 'text/markdown',
    metadata: JSON.stringify({ source: 'graphql-test' }),
  });

/** A graphql-ws client with the session's token in connection_init, or none. */
const wsClient = (session?: Session) => connectGraphqlWs(server, { token: session?.access });

beforeAll(async () => {
  server = await startTestServer({ RATE_LIMIT_UPLOAD_PER_MIN: '1000' });
  http = recordingApi(server);
  admin = await registerAndLogin(http, { prefix: 'gdadmin' });
  manager = await registerAndLogin(http, { prefix: 'gdmgr' });
  const promoted = await http.call('PATCH', `/api/users/${manager.user.id}/`, { role: 'manager' }, as(admin));
  if (promoted.status !== 200) throw new Error(`promote: ${promoted.status}`);
  alice = await registerAndLogin(http, { prefix: 'gdalice' });
  bob = await registerAndLogin(http, { prefix: 'gdbob' });
  workspace = await restWorkspace();
  const added = await http.call(
    'POST',
    `/api/workspaces/${workspace.slug}/add_user/`,
    { user_id: alice.user.id },
    as(admin),
  );
  if (added.status !== 200) throw new Error(`add_user: ${added.status}`);
});

afterAll(async () => {
  await closeGraphqlWsClients();
  await server?.close();
});

describe('documents and document queries', () => {
  let docs: any[];
  beforeAll(async () => {
    docs = [
      await restUpload(workspace.id, 'one.md'),
      await restUpload(workspace.id, 'two.md'),
      await restUpload(workspace.id, 'three.md'),
    ];
    expect((await http.call('POST', `/api/documents/${docs[0].id}/pin/`, { pin: true }, as(admin))).status).toBe(200);
    expect((await http.call('POST', `/api/documents/${docs[1].id}/watch/`, { watch: true }, as(admin))).status).toBe(
      200,
    );
  });

  it("lists a workspace's documents with every field, the same values REST shows", async () => {
    const res = await gql(
      `query($ws: ID!) { documents(workspaceId: $ws) { ${DOCUMENT_FIELDS} } }`,
      { ws: workspace.id },
      as(admin),
    );
    expect(res.body.errors).toBeUndefined();
    const first = res.body.data.documents.find((d: any) => d.id === String(docs[0].id));
    expect(first).toEqual({
      id: String(docs[0].id),
      filename: 'one.md',
      workspaceId: String(workspace.id),
      status: expect.stringMatching(/^(processing|ready)$/),
      pinned: true,
      watched: false,
      metadata: { source: 'graphql-test' },
      size: docs[0].size,
      mimeType: 'text/markdown',
      chunkCount: expect.any(Number),
      error: null,
      createdAt: expect.stringMatching(ISO_UTC),
      updatedAt: expect.stringMatching(ISO_UTC),
    });
    expect(res.body.data.documents.map((d: any) => d.id)).toEqual(docs.map((d) => String(d.id)));
  });

  it('filters by pinned, watched and status, and pages with limit and offset', async () => {
    const q = `query($ws: ID!, $pinned: Boolean, $watched: Boolean, $status: String, $limit: Int, $offset: Int) {
      documents(workspaceId: $ws, pinned: $pinned, watched: $watched, status: $status, limit: $limit, offset: $offset) { id status } }`;
    const ids = async (vars: Record<string, unknown>) =>
      (await gql(q, { ws: workspace.id, ...vars }, as(admin))).body.data.documents.map((d: any) => d.id);
    expect(await ids({ pinned: true })).toEqual([String(docs[0].id)]);
    expect(await ids({ watched: true })).toEqual([String(docs[1].id)]);
    expect(await ids({ pinned: false })).toEqual([String(docs[1].id), String(docs[2].id)]);
    expect(await ids({ status: 'no-such-status' })).toEqual([]);
    expect(await ids({ limit: 2, offset: 1 })).toEqual([String(docs[1].id), String(docs[2].id)]);
  });

  it('lets a member read, and answers NOT_FOUND to a user who may not see the workspace, UNAUTHENTICATED without a token', async () => {
    const q = `query($ws: ID!) { documents(workspaceId: $ws) { id } }`;
    expect((await gql(q, { ws: workspace.id }, as(alice))).body.data.documents).toHaveLength(docs.length);
    expect(onlyError((await gql(q, { ws: workspace.id }, as(bob))).body).extensions.code).toBe('NOT_FOUND');
    expect(onlyError((await gql(q, { ws: 999999 }, as(admin))).body).extensions.code).toBe('NOT_FOUND');
    expect(onlyError((await gql(q, { ws: workspace.id })).body).extensions.code).toBe('UNAUTHENTICATED');
  });

  it('document(id) answers the document, or null for one the caller may not see', async () => {
    const q = `query($id: ID!) { document(id: $id) { id filename } }`;
    expect((await gql(q, { id: docs[2].id }, as(alice))).body.data.document).toEqual({
      id: String(docs[2].id),
      filename: 'three.md',
    });
    expect((await gql(q, { id: docs[2].id }, as(bob))).body.data.document).toBeNull();
    expect((await gql(q, { id: 'abc' }, as(admin))).body.data.document).toBeNull();
  });

  it("Workspace.documents lists each workspace's own documents, as many as documentCount says", async () => {
    const other = await restWorkspace();
    const elsewhere = await restUpload(other.id, 'elsewhere.md');
    const res = await gql('{ workspaces { id documentCount documents { id workspaceId } } }', undefined, as(admin));
    expect(res.body.errors).toBeUndefined();
    const byId = new Map(res.body.data.workspaces.map((w: any) => [w.id, w]));
    const mine: any = byId.get(String(workspace.id));
    const theirs: any = byId.get(String(other.id));
    expect(mine.documents.map((d: any) => d.id)).toEqual(docs.map((d) => String(d.id)));
    expect(mine.documentCount).toBe(mine.documents.length);
    expect(theirs.documents).toEqual([{ id: String(elsewhere.id), workspaceId: String(other.id) }]);
    expect(theirs.documentCount).toBe(1);
  });
});

describe('pin, watch, delete and bulk mutations', () => {
  it('pinDocument and watchDocument answer the document as it now is', async () => {
    const doc = await restUpload(workspace.id);
    const pinned = await gql(
      'mutation($id: ID!) { pinDocument(id: $id, pin: true) { id pinned watched } }',
      { id: doc.id },
      as(manager),
    );
    expect(pinned.body.data.pinDocument).toEqual({ id: String(doc.id), pinned: true, watched: false });
    const watched = await gql(
      'mutation($id: ID!) { watchDocument(id: $id, watch: true) { id pinned watched } }',
      { id: doc.id },
      as(admin),
    );
    expect(watched.body.data.watchDocument).toEqual({ id: String(doc.id), pinned: true, watched: true });
    const unpinned = await gql(
      'mutation($id: ID!) { pinDocument(id: $id, pin: false) { pinned } }',
      { id: doc.id },
      as(admin),
    );
    expect(unpinned.body.data.pinDocument.pinned).toBe(false);
  });

  it('refuses default users (FORBIDDEN), unknown ids (NOT_FOUND) and anonymous callers, appending nothing', async () => {
    const doc = await restUpload(workspace.id);
    const pin = 'mutation($id: ID!) { pinDocument(id: $id, pin: true) { id } }';
    for (const who of [alice, bob]) {
      const res = await expectAppendsNothing(() => gql(pin, { id: doc.id }, as(who)));
      expect(onlyError(res.body).extensions.code).toBe('FORBIDDEN');
    }
    expect(
      onlyError((await expectAppendsNothing(() => gql(pin, { id: 99999999 }, as(admin)))).body).extensions.code,
    ).toBe('NOT_FOUND');
    expect(onlyError((await expectAppendsNothing(() => gql(pin, { id: 'x1' }, as(admin)))).body).extensions.code).toBe(
      'NOT_FOUND',
    );
    expect(onlyError((await expectAppendsNothing(() => gql(pin, { id: doc.id }))).body).extensions.code).toBe(
      'UNAUTHENTICATED',
    );
    const del = await expectAppendsNothing(() =>
      gql('mutation($id: ID!) { deleteDocument(id: $id) }', { id: doc.id }, as(alice)),
    );
    expect(onlyError(del.body).extensions.code).toBe('FORBIDDEN');
  });

  it('deleteDocument answers true and the document is gone', async () => {
    const doc = await restUpload(workspace.id);
    const res = await gql('mutation($id: ID!) { deleteDocument(id: $id) }', { id: doc.id }, as(admin));
    expect(res.body.data.deleteDocument).toBe(true);
    expect(
      (await gql('query($id: ID!) { document(id: $id) { id } }', { id: doc.id }, as(admin))).body.data.document,
    ).toBeNull();
    expect((await http.call('GET', `/api/documents/${doc.id}/`, undefined, as(admin))).status).toBe(404);
  });

  it('bulkDocumentAction answers {action, succeeded, failed: [{id, reason}]}', async () => {
    const a = await restUpload(workspace.id);
    const b = await restUpload(workspace.id);
    const q =
      'mutation($ids: [ID!]!, $action: String!) { bulkDocumentAction(ids: $ids, action: $action) { action succeeded failed { id reason } } }';
    const res = await gql(q, { ids: [a.id, b.id, 99999999], action: 'watch' }, as(admin));
    expect(res.body.data.bulkDocumentAction).toEqual({
      action: 'watch',
      succeeded: [String(a.id), String(b.id)],
      failed: [{ id: '99999999', reason: 'Not found.' }],
    });
    const deleted = await gql(q, { ids: [a.id], action: 'delete' }, as(admin));
    expect(deleted.body.data.bulkDocumentAction).toEqual({ action: 'delete', succeeded: [String(a.id)], failed: [] });

    const bad = await expectAppendsNothing(() => gql(q, { ids: [b.id], action: 'shred' }, as(admin)));
    expect(onlyError(bad.body).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fieldErrors: { action: [expect.stringMatching(/pin, unpin, watch, unwatch, delete/)] },
    });
    const forbidden = await expectAppendsNothing(() => gql(q, { ids: [b.id], action: 'pin' }, as(alice)));
    expect(onlyError(forbidden.body).extensions.code).toBe('FORBIDDEN');
  });
});

describe('documentStatus(workspaceId) over graphql-ws', () => {
  const STATUS = (ws: number) =>
    `subscription { documentStatus(workspaceId: ${ws}) { id filename workspaceId status pinned } }`;

  it('reports each upload of the workspace (processing, or ready when ingestion already finished) and each deletion, and nothing of other workspaces', async () => {
    const ws = await restWorkspace();
    const other = await restWorkspace();
    const sub = subscribe(wsClient(admin), STATUS(ws.id));
    try {
      await untilLive(sub, () => restUpload(ws.id, 'poke.md'));
      const seen = sub.results.length;
      await restUpload(other.id, 'not-ours.md');
      const doc = await restUpload(ws.id, 'live.md');
      await sub.until(
        () => sub.results.slice(seen).some((r) => r.data.documentStatus.id === String(doc.id)),
        'the new document',
      );
      const first = sub.results.slice(seen).find((r) => r.data.documentStatus.id === String(doc.id))
        .data.documentStatus;
      expect(first).toMatchObject({
        id: String(doc.id),
        filename: 'live.md',
        workspaceId: String(ws.id),
        pinned: false,
      });
      expect(['processing', 'ready']).toContain(first.status);

      expect((await http.call('DELETE', `/api/documents/${doc.id}/`, undefined, as(admin))).status).toBe(204);
      await sub.until(
        () =>
          sub.results.some(
            (r) => r.data.documentStatus.id === String(doc.id) && r.data.documentStatus.status === 'deleted',
          ),
        'the deletion',
      );
      for (const r of sub.results) {
        expect(r.errors).toBeUndefined();
        expect(r.data.documentStatus.workspaceId).toBe(String(ws.id));
        expect(r.data.documentStatus.filename).not.toBe('not-ours.md');
      }
      // A status already reported is not repeated for the same document.
      const statuses = sub.results
        .filter((r) => r.data.documentStatus.id === String(doc.id))
        .map((r) => r.data.documentStatus.status);
      expect(new Set(statuses).size).toBe(statuses.length);
      expect(sub.state.error).toBeNull();
    } finally {
      sub.unsubscribe();
    }
  });

  it('lets a member subscribe, and refuses a user who may not see the workspace or has no token', async () => {
    const member = subscribe(wsClient(alice), STATUS(workspace.id));
    try {
      await untilLive(member, () => restUpload(workspace.id, 'for-alice.md'));
      expect(member.results[0].data.documentStatus.workspaceId).toBe(String(workspace.id));
    } finally {
      member.unsubscribe();
    }

    const outsider = subscribe(wsClient(bob), STATUS(workspace.id));
    await outsider.until(() => outsider.state.completed, 'the refusal');
    expect(JSON.stringify(outsider.state.error ?? outsider.results)).toMatch(/NOT_FOUND|Not found/);

    const anonymous = subscribe(wsClient(), STATUS(workspace.id));
    await anonymous.until(() => anonymous.state.completed, 'the refusal');
    expect(JSON.stringify(anonymous.state.error ?? anonymous.results)).toMatch(/UNAUTHENTICATED|credentials/);
  });
});

describe('no leaks', () => {
  it('no response showed a stack trace, a hash or a 5xx', () => {
    expect(http.leaks()).toEqual([]);
  });
});
