/**
 * Document metadata with keys a document store treats as operators or paths (`$where`, `a.b`, `$gt`,
 * `$x` inside a list) over real HTTP: each upload is answered with the metadata as given, later reads
 * (REST, GraphQL, after a restart) show it intact, and the read side keeps up with the writes after it.
 */
import { settledDocument, uploadDocument } from '../support/documents.js';
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';

const POISON: Record<string, unknown>[] = [{ $where: '1' }, { 'a.b': 1 }, { x: { $gt: 1 } }, { nested: [{ $x: 1 }] }];

let server: TestServer;
let token: string;
let workspaceId: number;

beforeAll(async () => {
  server = await startTestServer();
  ({ access: token } = await registerAndLogin(server, 'root'));
  workspaceId = (await api(server, 'POST', '/api/workspaces/', { name: 'Poison' }, bearer(token))).body.id;
});
afterAll(() => server.close());

const documentsOf = async (on: TestServer) =>
  (await api(on, 'GET', `/api/documents/?workspace=${workspaceId}`, undefined, bearer(token))).body as {
    id: number;
    metadata: unknown;
  }[];

describe('document metadata with operator-like and dotted keys', () => {
  const uploaded = new Map<number, Record<string, unknown>>();

  it.each(POISON)('metadata=%j: the upload answers it intact and the next GET shows the same', async (metadata) => {
    const doc = await uploadDocument(server, token, workspaceId, 'notes.txt', 'Some notes to keep.', {
      metadata: JSON.stringify(metadata),
    });
    expect(doc.metadata).toEqual(metadata);
    const read = await api(server, 'GET', `/api/documents/${doc.id}/`, undefined, bearer(token));
    expect(read.status).toBe(200);
    expect(read.body.metadata).toEqual(metadata);
    uploaded.set(doc.id, metadata);
  });

  it('a later write reads its own write, and the read side says it is ready', async () => {
    const created = await api(server, 'POST', '/api/workspaces/', { name: 'After the poison' }, bearer(token));
    expect(created.status).toBe(201);
    const read = await api(server, 'GET', `/api/workspaces/${created.body.slug}/`, undefined, bearer(token));
    expect(read.status).toBe(200);
    expect(read.body.name).toBe('After the poison');
    const ready = await api(server, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.projectionFailure).toBeNull();
  });

  it('GraphQL serves the same metadata', async () => {
    const res = await api(
      server,
      'POST',
      '/graphql',
      {
        query: 'query($id: ID!) { documents(workspaceId: $id) { id metadata } }',
        variables: { id: workspaceId },
      },
      bearer(token),
    );
    expect(res.status).toBe(200);
    const byId = new Map(
      (res.body.data.documents as { id: string; metadata: unknown }[]).map((d) => [Number(d.id), d.metadata]),
    );
    for (const [id, metadata] of uploaded) expect(byId.get(id)).toEqual(metadata);
  });

  it('a restarted server rebuilds nothing wrong: the same documents, and new writes still read back', async () => {
    // Ingestion settles first, so that the documents compared are the same before and after the restart.
    for (const id of uploaded.keys()) await settledDocument(server, token, id);
    const before = await documentsOf(server);
    expect(before.filter((d) => uploaded.has(d.id)).map((d) => d.metadata)).toEqual([...uploaded.values()]);
    await server.close();
    server = await startTestServer({}, server.dataDir);
    expect(await documentsOf(server)).toEqual(before);
    const doc = await uploadDocument(server, token, workspaceId, 'more.txt', 'More notes.', {
      metadata: '{"$where":"1","a.b":{"c.d":[{"$x":1}]}}',
    });
    expect(doc.metadata).toEqual({ $where: '1', 'a.b': { 'c.d': [{ $x: 1 }] } });
  });
});
