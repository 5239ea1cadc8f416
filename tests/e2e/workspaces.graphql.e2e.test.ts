/**
 * The GraphQL face of workspaces, threads, settings and the event log: queries and mutations over
 * HTTP POST /graphql, subscriptions (workspaceEvents, auditLog) over graphql-ws on ws://host/graphql
 * with the JWT in connection_init. A real server, real clients, REST beside them where a change is
 * made "by someone else".
 */
import { expectAppendsNothing, recordingApi, uniqueName } from '../support/e2e.js';
import { closeGraphqlWsClients, connectGraphqlWs, subscribe, untilLive } from '../support/graphql-ws.js';
import {
  bearer,
  registerAndLogin,
  type Session,
  STRONG_PASSWORD,
  startTestServer,
  type TestServer,
} from '../support/server.js';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

let server: TestServer;
let http: ReturnType<typeof recordingApi>;
let admin: Session;
let manager: Session;
let alice: Session;
let bob: Session;

const as = (s: Session) => bearer(s.access);

const WORKSPACE_FIELDS = `id slug name chatMode chatProvider chatModel openaiTemp openaiPrompt topN similarityThreshold chatHistory
  queryRefusalResponse userCount documentCount createdAt`;
const CREATE = `mutation Create($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { ${WORKSPACE_FIELDS} } }`;
const UPDATE = `mutation Update($slug: String!, $input: UpdateWorkspaceInput!) { updateWorkspace(slug: $slug, input: $input) { ${WORKSPACE_FIELDS} } }`;
const ADD_USER = `mutation Add($slug: String!, $userId: ID!) { addWorkspaceUser(slug: $slug, userId: $userId) { id userCount users { id username } } }`;
const WORKSPACE = `query One($slug: String!) { workspace(slug: $slug) { ${WORKSPACE_FIELDS} } }`;
const WORKSPACES = `query Many($search: String, $limit: Int, $offset: Int) { workspaces(search: $search, limit: $limit, offset: $offset) { id slug name userCount } }`;

function gql(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  return http.call('POST', '/graphql', { query, variables }, headers);
}

/** The single error of a GraphQL answer, which must have no data for the field. */
function onlyError(body: any) {
  expect(body.errors).toHaveLength(1);
  return body.errors[0];
}

/** Creates a workspace over REST (as admin unless told) and answers its REST body. */
async function restWorkspace(body: Record<string, unknown> = {}, who: Session = admin) {
  const res = await http.call('POST', '/api/workspaces/', { name: `GQL ${uniqueName('ws')}`, ...body }, as(who));
  if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function restAddUser(slug: string, userId: number) {
  const res = await http.call('POST', `/api/workspaces/${slug}/add_user/`, { user_id: userId }, as(admin));
  if (res.status !== 200) throw new Error(`add_user: ${res.status} ${JSON.stringify(res.body)}`);
}

async function restPatch(slug: string, body: Record<string, unknown>) {
  const res = await http.call('PATCH', `/api/workspaces/${slug}/`, body, as(admin));
  if (res.status !== 200) throw new Error(`patch: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A graphql-ws client with the session's token in connection_init, or none. */
const wsClient = (session?: Session) => connectGraphqlWs(server, { token: session?.access });

beforeAll(async () => {
  server = await startTestServer();
  http = recordingApi(server);
  admin = await registerAndLogin(http, { prefix: 'gqladmin' });
  manager = await registerAndLogin(http, { prefix: 'gqlmgr' });
  const promoted = await http.call('PATCH', `/api/users/${manager.user.id}/`, { role: 'manager' }, as(admin));
  if (promoted.status !== 200) throw new Error(`promote: ${promoted.status}`);
  alice = await registerAndLogin(http, { prefix: 'gqlalice' });
  bob = await registerAndLogin(http, { prefix: 'gqlbob' });
});

afterAll(async () => {
  await closeGraphqlWsClients();
  await server?.close();
});

describe('workspaces over HTTP POST /graphql', () => {
  describe('createWorkspace', () => {
    it('given an admin, then the workspace with camelCase fields, ID holding the REST integer, and the slug from the name', async () => {
      const tag = uniqueName('c').split('_')[1];
      const res = await gql(
        CREATE,
        { input: { name: `Launch ${tag}`, chatMode: 'query', openaiPrompt: 'Be terse.', topN: 6, openaiTemp: 0.3 } },
        as(admin),
      );
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      const ws = res.body.data.createWorkspace;
      expect(ws).toEqual({
        id: expect.stringMatching(/^\d+$/),
        slug: `launch-${tag}`,
        name: `Launch ${tag}`,
        chatMode: 'query',
        chatProvider: null,
        chatModel: null,
        openaiTemp: 0.3,
        openaiPrompt: 'Be terse.',
        topN: 6,
        similarityThreshold: expect.any(Number),
        chatHistory: expect.any(Number),
        queryRefusalResponse: expect.any(String),
        userCount: 0,
        documentCount: 0,
        createdAt: expect.stringMatching(ISO_UTC),
      });
      const rest = await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(admin));
      expect(rest.body).toMatchObject({
        id: Number(ws.id),
        chat_mode: 'query',
        top_n: 6,
        openai_prompt: 'Be terse.',
        created_at: ws.createdAt,
      });
    });

    it('given a name already taken, then the next slug has a suffix', async () => {
      const tag = uniqueName('d').split('_')[1];
      const a = await gql(CREATE, { input: { name: `Dup ${tag}` } }, as(admin));
      const b = await gql(CREATE, { input: { name: `Dup ${tag}` } }, as(manager));
      expect([a.body.data.createWorkspace.slug, b.body.data.createWorkspace.slug]).toEqual([
        `dup-${tag}`,
        `dup-${tag}-2`,
      ]);
    });

    it('given a default user, then FORBIDDEN and nothing appended', async () => {
      const res = await expectAppendsNothing(server, () =>
        gql(CREATE, { input: { name: uniqueName('no') } }, as(alice)),
      );
      expect(res.body.data).toBeNull();
      expect(onlyError(res.body)).toMatchObject({
        message: 'You do not have permission to perform this action.',
        extensions: { code: 'FORBIDDEN' },
        path: ['createWorkspace'],
      });
    });

    it('given no credentials, then UNAUTHENTICATED and nothing appended', async () => {
      const res = await expectAppendsNothing(server, () => gql(CREATE, { input: { name: uniqueName('no') } }));
      expect(onlyError(res.body).extensions.code).toBe('UNAUTHENTICATED');
    });

    it.each([
      ['a blank name', { name: ' ' }, 'name'],
      ['chatMode "agent"', { chatMode: 'agent' }, 'chatMode'],
      ['openaiTemp 3', { openaiTemp: 3 }, 'openaiTemp'],
      ['topN 0', { topN: 0 }, 'topN'],
      ['similarityThreshold 2', { similarityThreshold: 2 }, 'similarityThreshold'],
      ['chatHistory -1', { chatHistory: -1 }, 'chatHistory'],
      ['an unknown chatProvider', { chatProvider: 'skynet' }, 'chatProvider'],
    ])(
      'given %s, then BAD_USER_INPUT with fieldErrors for that field only, and nothing appended',
      async (_what, override, field) => {
        const res = await expectAppendsNothing(server, () =>
          gql(CREATE, { input: { name: uniqueName('bad'), ...override } }, as(admin)),
        );
        expect(res.body.data).toBeNull();
        const error = onlyError(res.body);
        expect(error.extensions.code).toBe('BAD_USER_INPUT');
        const keys = Object.keys(error.extensions.fieldErrors);
        expect(keys).toHaveLength(1);
        // The key names the field the client sent (GraphQL camelCase, or the shared snake_case name).
        expect(keys[0].replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())).toBe(field);
        expect(error.extensions.fieldErrors[keys[0]]).toEqual([expect.any(String)]);
      },
    );

    it('given a field of the wrong GraphQL type, then a validation error and nothing appended', async () => {
      const res = await expectAppendsNothing(server, () =>
        gql(CREATE, { input: { name: uniqueName('t'), topN: 'many' } }, as(admin)),
      );
      expect(res.body.errors[0].extensions.code).toEqual(
        expect.stringMatching(/BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED/),
      );
    });

    it('given an Idempotency-Key header, when the mutation is retried, then the same workspace and nothing appended', async () => {
      const key = `gql-${uniqueName('idem')}`;
      const input = { input: { name: `Idem ${uniqueName('i')}` } };
      const first = await gql(CREATE, input, { ...as(admin), 'Idempotency-Key': key });
      expect(first.body.errors).toBeUndefined();
      const second = await expectAppendsNothing(server, () =>
        gql(CREATE, input, { ...as(admin), 'Idempotency-Key': key }),
      );
      expect(second.body.data.createWorkspace).toEqual(first.body.data.createWorkspace);
      const list = await gql(WORKSPACES, { search: input.input.name }, as(admin));
      expect(list.body.data.workspaces).toHaveLength(1);
    });

    it.each([
      ['empty', ''],
      ['over 255 characters', 'k'.repeat(256)],
    ])('given an Idempotency-Key that is %s, then a validation error and nothing appended', async (_, key) => {
      const input = { input: { name: `Keyed ${uniqueName('k')}` } };
      const res = await expectAppendsNothing(server, () =>
        gql(CREATE, input, { ...as(admin), 'Idempotency-Key': key }),
      );
      expect(res.body.data).toBeNull();
      expect(res.body.errors[0]).toMatchObject({
        message: 'Validation failed.',
        extensions: { code: 'BAD_USER_INPUT' },
      });
      expect(Object.values(res.body.errors[0].extensions.fieldErrors)).toEqual([['Must be 1 to 255 characters.']]);
    });
  });

  describe('workspaces and workspace', () => {
    const tag = uniqueName('q').split('_')[1];
    let group: any[];

    beforeAll(async () => {
      group = [];
      for (const name of ['One', 'Two', 'Three', 'Four']) group.push(await restWorkspace({ name: `${name} ${tag}` }));
      await restAddUser(group[1].slug, alice.user.id);
    });

    it('given an admin, then every workspace; given search, then those matching in name or slug', async () => {
      const all = await gql(`{ workspaces { id } }`, undefined, as(admin));
      const ids = all.body.data.workspaces.map((w: any) => w.id);
      for (const w of group) expect(ids).toContain(String(w.id));
      const found = await gql(WORKSPACES, { search: tag.toUpperCase() }, as(admin));
      expect(found.body.data.workspaces.map((w: any) => w.id).sort()).toEqual(group.map((w) => String(w.id)).sort());
      const one = await gql(WORKSPACES, { search: `three-${tag}` }, as(manager));
      expect(one.body.data.workspaces).toEqual([
        { id: String(group[2].id), slug: group[2].slug, name: `Three ${tag}`, userCount: 0 },
      ]);
    });

    it('given limit and offset, then that window of the list', async () => {
      const all = (await gql(WORKSPACES, { search: tag }, as(admin))).body.data.workspaces;
      const page = await gql(WORKSPACES, { search: tag, limit: 2, offset: 1 }, as(admin));
      expect(page.body.data.workspaces).toEqual(all.slice(1, 3));
    });

    it('given a default user, then only the workspaces it was added to; workspace() of another is null', async () => {
      const mine = await gql(WORKSPACES, { search: tag }, as(alice));
      expect(mine.body.data.workspaces.map((w: any) => w.id)).toEqual([String(group[1].id)]);
      const own = await gql(WORKSPACE, { slug: group[1].slug }, as(alice));
      expect(own.body.data.workspace).toMatchObject({ id: String(group[1].id), userCount: 1 });
      const other = await gql(WORKSPACE, { slug: group[0].slug }, as(alice));
      expect(other.body.errors).toBeUndefined();
      expect(other.body.data.workspace).toBeNull();
    });

    it('given an unknown slug, then workspace is null', async () => {
      const res = await gql(WORKSPACE, { slug: `none-${uniqueName('s')}` }, as(admin));
      expect(res.body).toEqual({ data: { workspace: null } });
    });

    it('given no credentials, then UNAUTHENTICATED', async () => {
      const res = await gql(`{ workspaces { id } }`);
      expect(onlyError(res.body)).toMatchObject({
        message: 'Authentication credentials were not provided.',
        extensions: { code: 'UNAUTHENTICATED' },
      });
    });
  });

  describe('updateWorkspace', () => {
    let ws: any;

    beforeAll(async () => {
      ws = await restWorkspace();
      await restAddUser(ws.slug, alice.user.id);
    });

    it('given an admin and every setting, then the new values, as REST shows them too', async () => {
      const input = {
        name: `Updated ${uniqueName('u')}`,
        chatMode: 'query',
        chatProvider: 'openai',
        chatModel: 'gpt-4-turbo',
        openaiPrompt: 'New prompt.',
        openaiTemp: 1.2,
        topN: 9,
        similarityThreshold: 0.6,
        chatHistory: 4,
        queryRefusalResponse: 'No idea.',
      };
      const res = await gql(UPDATE, { slug: ws.slug, input }, as(admin));
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.updateWorkspace).toMatchObject({ ...input, slug: ws.slug, id: String(ws.id) });
      const rest = await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(admin));
      expect(rest.body).toMatchObject({
        name: input.name,
        chat_mode: 'query',
        chat_model: 'gpt-4-turbo',
        top_n: 9,
        openai_temp: 1.2,
        slug: ws.slug,
      });
    });

    it('given a manager, then the update applies', async () => {
      const res = await gql(UPDATE, { slug: ws.slug, input: { topN: 3 } }, as(manager));
      expect(res.body.data.updateWorkspace.topN).toBe(3);
    });

    it('given a default user in the workspace, then FORBIDDEN and nothing appended', async () => {
      const res = await expectAppendsNothing(server, () =>
        gql(UPDATE, { slug: ws.slug, input: { topN: 2 } }, as(alice)),
      );
      expect(onlyError(res.body).extensions.code).toBe('FORBIDDEN');
    });

    it('given a default user not in the workspace, or an unknown slug, then NOT_FOUND and nothing appended', async () => {
      const outsider = await expectAppendsNothing(server, () =>
        gql(UPDATE, { slug: ws.slug, input: { topN: 2 } }, as(bob)),
      );
      expect(onlyError(outsider.body)).toMatchObject({ message: 'Not found.', extensions: { code: 'NOT_FOUND' } });
      const unknown = await expectAppendsNothing(server, () =>
        gql(UPDATE, { slug: `no-${uniqueName('s')}`, input: { topN: 2 } }, as(admin)),
      );
      expect(onlyError(unknown.body).extensions.code).toBe('NOT_FOUND');
    });

    it('given invalid values, then BAD_USER_INPUT with one field error per field, and nothing appended', async () => {
      const res = await expectAppendsNothing(server, () =>
        gql(UPDATE, { slug: ws.slug, input: { openaiTemp: 2.5, topN: 0 } }, as(admin)),
      );
      const error = onlyError(res.body);
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      expect(
        Object.keys(error.extensions.fieldErrors)
          .map((k) => k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()))
          .sort(),
      ).toEqual(['openaiTemp', 'topN']);
    });
  });

  describe('addWorkspaceUser', () => {
    let ws: any;

    beforeAll(async () => {
      ws = await restWorkspace();
    });

    it('given an admin, then userCount goes up and users lists the member', async () => {
      const res = await gql(ADD_USER, { slug: ws.slug, userId: String(alice.user.id) }, as(admin));
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.addWorkspaceUser).toEqual({
        id: String(ws.id),
        userCount: 1,
        users: [{ id: String(alice.user.id), username: alice.user.username }],
      });
      const seen = await gql(WORKSPACE, { slug: ws.slug }, as(alice));
      expect(seen.body.data.workspace.id).toBe(String(ws.id));
    });

    it('given an unknown user, then BAD_USER_INPUT naming user_id, and nothing appended', async () => {
      const res = await expectAppendsNothing(server, () =>
        gql(ADD_USER, { slug: ws.slug, userId: '999999' }, as(admin)),
      );
      const error = onlyError(res.body);
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      expect(
        Object.keys(error.extensions.fieldErrors).map((k) =>
          k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()),
        ),
      ).toEqual(['userId']);
    });

    it('given a default user in the workspace, then FORBIDDEN; not in it, NOT_FOUND; nothing appended', async () => {
      const member = await expectAppendsNothing(server, () =>
        gql(ADD_USER, { slug: ws.slug, userId: String(bob.user.id) }, as(alice)),
      );
      expect(onlyError(member.body).extensions.code).toBe('FORBIDDEN');
      const outsider = await expectAppendsNothing(server, () =>
        gql(ADD_USER, { slug: ws.slug, userId: String(bob.user.id) }, as(bob)),
      );
      expect(onlyError(outsider.body).extensions.code).toBe('NOT_FOUND');
    });
  });

  describe('threads', () => {
    let ws: any;

    beforeAll(async () => {
      ws = await restWorkspace();
      await restAddUser(ws.slug, alice.user.id);
      await restAddUser(ws.slug, bob.user.id);
    });

    it('given a member, when it opens a thread, then the thread, and workspace { threads } lists it', async () => {
      const res = await gql(
        `mutation($slug: String!) { createThread(workspaceSlug: $slug, name: "Plans") { id name slug workspaceId userId createdAt } }`,
        { slug: ws.slug },
        as(alice),
      );
      expect(res.body.errors).toBeUndefined();
      const thread = res.body.data.createThread;
      expect(thread).toEqual({
        id: expect.stringMatching(/^\d+$/),
        name: 'Plans',
        slug: expect.stringMatching(/^plans/),
        workspaceId: String(ws.id),
        userId: String(alice.user.id),
        createdAt: expect.stringMatching(ISO_UTC),
      });
      const listed = await gql(
        `query($slug: String!) { workspace(slug: $slug) { threads { id name userId } } }`,
        { slug: ws.slug },
        as(bob),
      );
      expect(listed.body.data.workspace.threads).toContainEqual({
        id: thread.id,
        name: 'Plans',
        userId: String(alice.user.id),
      });
      const rest = await http.call('GET', `/api/workspaces/${ws.slug}/threads/`, undefined, as(alice));
      expect(rest.body).toContainEqual(
        expect.objectContaining({ id: Number(thread.id), name: 'Plans', workspace: ws.id, user: alice.user.id }),
      );
    });

    it('given another member, when it renames the thread, then FORBIDDEN and nothing appended; the owner may', async () => {
      const created = await gql(
        `mutation($slug: String!) { createThread(workspaceSlug: $slug, name: "Mine") { id } }`,
        { slug: ws.slug },
        as(alice),
      );
      const id = created.body.data.createThread.id;
      const RENAME = `mutation($slug: String!, $id: ID!, $name: String!) { renameThread(workspaceSlug: $slug, id: $id, name: $name) { id name } }`;
      const stolen = await expectAppendsNothing(server, () =>
        gql(RENAME, { slug: ws.slug, id, name: 'Stolen' }, as(bob)),
      );
      expect(onlyError(stolen.body).extensions.code).toBe('FORBIDDEN');
      const renamed = await gql(RENAME, { slug: ws.slug, id, name: 'Still mine' }, as(alice));
      expect(renamed.body.data.renameThread).toEqual({ id, name: 'Still mine' });
    });

    it('given a default user not in the workspace, when it opens a thread, then NOT_FOUND and nothing appended', async () => {
      const carol = await registerAndLogin(http, { prefix: 'gqlcarol' });
      const res = await expectAppendsNothing(server, () =>
        gql(
          `mutation($slug: String!) { createThread(workspaceSlug: $slug, name: "x") { id } }`,
          { slug: ws.slug },
          as(carol),
        ),
      );
      expect(onlyError(res.body).extensions.code).toBe('NOT_FOUND');
    });
  });

  describe('a nested query over several workspaces', () => {
    const tag = uniqueName('n').split('_')[1];
    let group: any[];
    const threadIds = new Map<number, number[]>();

    beforeAll(async () => {
      group = [];
      for (const name of ['North', 'South', 'East']) group.push(await restWorkspace({ name: `${name} ${tag}` }));
      await restAddUser(group[0].slug, alice.user.id);
      await restAddUser(group[0].slug, bob.user.id);
      await restAddUser(group[1].slug, bob.user.id);
      for (const [i, ws] of group.entries()) {
        const ids: number[] = [];
        for (let t = 0; t <= i; t++) {
          const res = await http.call('POST', `/api/workspaces/${ws.slug}/threads/`, { name: `T${t}` }, as(admin));
          ids.push(res.body.id);
        }
        threadIds.set(ws.id, ids);
      }
    });

    it('given workspaces { threads { id } users { username } }, then each workspace with its own threads and members', async () => {
      const res = await gql(
        `query($search: String) { workspaces(search: $search) { id threads { id } users { username } } }`,
        { search: tag },
        as(admin),
      );
      expect(res.body.errors).toBeUndefined();
      const byId = new Map(res.body.data.workspaces.map((w: any) => [Number(w.id), w]));
      expect(byId.size).toBe(3);
      const expectedUsers = [[alice.user.username, bob.user.username], [bob.user.username], []];
      for (const [i, ws] of group.entries()) {
        const got: any = byId.get(ws.id);
        expect(got.threads.map((t: any) => Number(t.id)).sort()).toEqual([...threadIds.get(ws.id)!].sort());
        expect(got.users.map((u: any) => u.username).sort()).toEqual(expectedUsers[i].sort());
      }
    });

    it('then threads and users are each read in one batch, not once per workspace', async () => {
      const db = server.deps.db;
      const original = db.collection.bind(db);
      const reads: string[] = [];
      // A pass-through spy: every collection still answers from the real read store; reads are only counted.
      const spy = jest.spyOn(db, 'collection').mockImplementation(((name: string) => {
        const coll = original(name) as any;
        return new Proxy(coll, {
          get(target, prop) {
            const value = Reflect.get(target, prop, target);
            if (typeof value !== 'function') return value;
            return (...args: unknown[]) => {
              if (prop === 'find' || prop === 'findOne') reads.push(`${name}.${String(prop)}`);
              return value.apply(target, args);
            };
          },
        });
      }) as typeof db.collection);
      try {
        const res = await gql(
          `query($search: String) { workspaces(search: $search) { id threads { id } users { username } } }`,
          { search: tag },
          as(admin),
        );
        expect(res.body.data.workspaces).toHaveLength(3);
      } finally {
        spy.mockRestore();
      }
      expect(reads.filter((r) => r.startsWith('threads.'))).toHaveLength(1);
      expect(reads.filter((r) => r.startsWith('users.')).length).toBeLessThanOrEqual(2); // one batch (plus the actor check)
    });
  });
});

describe('settings and eventLogs over HTTP POST /graphql', () => {
  it('given an admin, then settings lists every label with its value', async () => {
    const res = await gql(`{ settings { label value updatedAt } }`, undefined, as(admin));
    expect(res.body.errors).toBeUndefined();
    const labels = res.body.data.settings.map((s: any) => s.label);
    expect(labels).toEqual(
      expect.arrayContaining([
        'custom_app_name',
        'text_splitter_chunk_size',
        'text_splitter_chunk_overlap',
        'allow_registration',
        'llm_provider',
      ]),
    );
    expect(res.body.data.settings.find((s: any) => s.label === 'allow_registration').value).toBe(true);
  });

  it('given a default user or a manager, then settings and eventLogs are FORBIDDEN', async () => {
    for (const who of [alice, manager]) {
      expect(onlyError((await gql(`{ settings { label } }`, undefined, as(who))).body).extensions.code).toBe(
        'FORBIDDEN',
      );
      expect(onlyError((await gql(`{ eventLogs { id } }`, undefined, as(who))).body).extensions.code).toBe('FORBIDDEN');
    }
  });

  it('given no credentials, then eventLogs is UNAUTHENTICATED', async () => {
    expect(onlyError((await gql(`{ eventLogs { id } }`)).body).extensions.code).toBe('UNAUTHENTICATED');
  });

  it('given updateSetting with an invalid value, then BAD_USER_INPUT and nothing appended; with a valid one, the new value', async () => {
    const UPDATE_SETTING = `mutation($label: String!, $value: JSON!) { updateSetting(label: $label, value: $value) { label value } }`;
    const bad = await expectAppendsNothing(server, () =>
      gql(UPDATE_SETTING, { label: 'text_splitter_chunk_size', value: 50 }, as(admin)),
    );
    expect(onlyError(bad.body).extensions.code).toBe('BAD_USER_INPUT');
    const unknown = await expectAppendsNothing(server, () =>
      gql(UPDATE_SETTING, { label: 'no_such_label', value: 1 }, as(admin)),
    );
    expect(onlyError(unknown.body).extensions.code).toBe('NOT_FOUND');
    const good = await gql(UPDATE_SETTING, { label: 'custom_app_name', value: 'GraphQL Chronicle' }, as(admin));
    expect(good.body.data.updateSetting).toEqual({ label: 'custom_app_name', value: 'GraphQL Chronicle' });
  });

  it("given an admin, then eventLogs newest first, with the REST entries' ids, filtered by event", async () => {
    await restWorkspace({ name: `Logged ${uniqueName('l')}` });
    const res = await gql(
      `{ eventLogs(event: "workspace_created", limit: 3) { id event type metadata userId occurredAt } }`,
      undefined,
      as(admin),
    );
    expect(res.body.errors).toBeUndefined();
    const entries = res.body.data.eventLogs;
    expect(entries).toHaveLength(3);
    for (const e of entries) {
      expect(e).toMatchObject({
        event: 'workspace_created',
        type: 'WorkspaceCreated',
        userId: String(admin.user.id),
        occurredAt: expect.stringMatching(ISO_UTC),
      });
    }
    expect(Number(entries[0].id)).toBeGreaterThan(Number(entries[1].id));
    const rest = await http.call(
      'GET',
      '/api/system/event-logs/?event=workspace_created&limit=3',
      undefined,
      as(admin),
    );
    expect(entries.map((e: any) => Number(e.id))).toEqual(rest.body.results.map((e: any) => e.id));
  });

  it("given userId as an ID variable (the contract: eventLogs(userId: ID)), then only that user's entries", async () => {
    const res = await gql(
      `query($userId: ID) { eventLogs(userId: $userId, limit: 50) { userId } }`,
      { userId: String(manager.user.id) },
      as(admin),
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.eventLogs.length).toBeGreaterThan(0);
    for (const e of res.body.data.eventLogs) expect(e.userId).toBe(String(manager.user.id));
  });

  it('given fromDate, then only entries from then on', async () => {
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 15));
    const ws = await restWorkspace();
    const res = await gql(
      `query($from: DateTime) { eventLogs(fromDate: $from) { event metadata } }`,
      { from: since },
      as(admin),
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.eventLogs.map((e: any) => e.event)).toEqual(['workspace_created']);
    expect(res.body.data.eventLogs[0].metadata.workspace_id).toBe(ws.id);
  });
});

describe('workspaceEvents(slug) over graphql-ws', () => {
  const FIELDS = 'type position occurredAt workspace { name topN }';
  /** The slug inline: the variable form has a test of its own below. */
  const EVENTS = (slug: string) => `subscription { workspaceEvents(slug: ${JSON.stringify(slug)}) { ${FIELDS} } }`;

  it('given the slug as a required variable ($slug: String!), then the subscription is accepted and reports changes like the inline form', async () => {
    const ws = await restWorkspace();
    const sub = subscribe(
      wsClient(admin),
      `subscription($slug: String!) { workspaceEvents(slug: $slug) { ${FIELDS} } }`,
      { slug: ws.slug },
    );
    try {
      await untilLive(sub, (i) => restPatch(ws.slug, { chat_history: 50 + i }));
      expect(sub.state.error).toBeNull();
      expect(sub.results[0].data.workspaceEvents).toMatchObject({
        type: 'WorkspaceUpdated',
        workspace: { name: ws.name },
      });
    } finally {
      sub.unsubscribe();
    }
  });

  it('given a member subscribed, when the workspace is updated over REST, then it receives {type, position, occurredAt, workspace} already showing the new values', async () => {
    const ws = await restWorkspace();
    await restAddUser(ws.slug, alice.user.id);
    const sub = subscribe(wsClient(alice), EVENTS(ws.slug));
    try {
      await untilLive(sub, (i) => restPatch(ws.slug, { chat_history: 50 + i }));
      const seen = sub.results.length;
      const name = `Live ${uniqueName('n')}`;
      await restPatch(ws.slug, { name, top_n: 17 });
      await sub.until(() => sub.results.length > seen, 'the update');
      const payload = sub.results[seen];
      expect(payload.errors).toBeUndefined();
      expect(payload.data.workspaceEvents).toEqual({
        type: 'WorkspaceUpdated',
        position: expect.any(Number),
        occurredAt: expect.stringMatching(ISO_UTC),
        workspace: { name, topN: 17 },
      });
      // The position is the event's: the log's newest workspace_updated entry for this workspace.
      const log = await http.call(
        'GET',
        '/api/system/event-logs/?event=workspace_updated&limit=5',
        undefined,
        as(admin),
      );
      const entry = log.body.results.find((e: any) => e.metadata.workspace_id === ws.id);
      expect(payload.data.workspaceEvents.position).toBe(entry.id);
      // A subscriber that heard of the change can read it at once, over REST and GraphQL.
      const rest = await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(alice));
      expect(rest.body).toMatchObject({ name, top_n: 17 });
      const gq = await gql(WORKSPACE, { slug: ws.slug }, as(alice));
      expect(gq.body.data.workspace).toMatchObject({ name, topN: 17 });
    } finally {
      sub.unsubscribe();
    }
  });

  it('given nested fields in the payload, then each event shows them as they are now (threads opened and members added since the last event)', async () => {
    const ws = await restWorkspace();
    await restAddUser(ws.slug, alice.user.id);
    const sub = subscribe(
      wsClient(alice),
      `subscription { workspaceEvents(slug: ${JSON.stringify(ws.slug)}) {
      type workspace { topN userCount threads { id } users { username } } } }`,
    );
    try {
      await untilLive(sub, (i) => restPatch(ws.slug, { chat_history: 50 + i }));
      const thread = await http.call('POST', `/api/workspaces/${ws.slug}/threads/`, { name: 'Fresh' }, as(alice));
      expect(thread.status).toBe(201);
      const seen = sub.results.length;
      await restAddUser(ws.slug, bob.user.id);
      await restPatch(ws.slug, { top_n: 21 });
      await sub.until(() => sub.results.length >= seen + 2, 'the member added and the update');
      const [added, updated] = sub.results.slice(seen, seen + 2).map((r) => r.data.workspaceEvents);
      expect(added.type).toBe('WorkspaceMemberAdded');
      expect(added.workspace.userCount).toBe(2);
      expect(added.workspace.users.map((u: any) => u.username).sort()).toEqual(
        [alice.user.username, bob.user.username].sort(),
      );
      expect(updated.type).toBe('WorkspaceUpdated');
      expect(updated.workspace.topN).toBe(21);
      // The read model has the thread (a fresh query shows it); the pushed workspace must show it too.
      const fresh = await gql(
        `query($slug: String!) { workspace(slug: $slug) { threads { id } } }`,
        { slug: ws.slug },
        as(alice),
      );
      expect(fresh.body.data.workspace.threads.map((t: any) => Number(t.id))).toContain(thread.body.id);
      expect(updated.workspace.threads.map((t: any) => Number(t.id))).toContain(thread.body.id);
    } finally {
      sub.unsubscribe();
    }
  });

  it('given a default user not in the workspace, then the subscription errors with NOT_FOUND, ends, and hears nothing of later changes', async () => {
    const ws = await restWorkspace();
    await restAddUser(ws.slug, alice.user.id);
    const outsider = subscribe(wsClient(bob), EVENTS(ws.slug));
    await outsider.until(() => outsider.state.completed, 'the subscription to end');
    expect(outsider.results).toHaveLength(1);
    expect(outsider.results[0].errors).toEqual([
      expect.objectContaining({ message: 'Not found.', extensions: expect.objectContaining({ code: 'NOT_FOUND' }) }),
    ]);
    expect(outsider.results[0].data ?? null).toBeNull();

    // A member's subscription is the witness that later changes were announced.
    const member = subscribe(wsClient(alice), EVENTS(ws.slug));
    try {
      await untilLive(member, (i) => restPatch(ws.slug, { chat_history: 50 + i }));
      const seen = member.results.length;
      await restPatch(ws.slug, { top_n: 13 });
      await member.until(() => member.results.length > seen, 'the update');
      expect(outsider.results).toHaveLength(1);
    } finally {
      member.unsubscribe();
    }
  });

  it('given an unknown slug, then NOT_FOUND; given no credentials, then UNAUTHENTICATED', async () => {
    const unknown = subscribe(wsClient(admin), EVENTS(`none-${uniqueName('s')}`));
    await unknown.until(() => unknown.state.completed, 'the subscription to end');
    expect(unknown.results[0].errors[0].extensions.code).toBe('NOT_FOUND');
    const ws = await restWorkspace();
    const anon = subscribe(wsClient(), EVENTS(ws.slug));
    await anon.until(() => anon.state.completed, 'the subscription to end');
    expect(anon.results[0].errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('given a member removed from the workspace, then it hears no more changes, only that the workspace is gone', async () => {
    const ws = await restWorkspace();
    await restAddUser(ws.slug, alice.user.id);
    const sub = subscribe(wsClient(alice), EVENTS(ws.slug));
    try {
      await untilLive(sub, (i) => restPatch(ws.slug, { chat_history: 50 + i }));
      const seen = sub.results.length;
      expect(
        (await http.call('POST', `/api/workspaces/${ws.slug}/remove_user/`, { user_id: alice.user.id }, as(admin)))
          .status,
      ).toBe(200);
      await restPatch(ws.slug, { top_n: 30, name: `Secret ${uniqueName('s')}` });
      expect((await http.call('DELETE', `/api/workspaces/${ws.slug}/`, undefined, as(admin))).status).toBe(204);
      await sub.until(
        () => sub.results.some((r) => r.data?.workspaceEvents?.type === 'WorkspaceDeleted'),
        'the deletion',
      );
      expect(sub.results.slice(seen).map((r) => r.data.workspaceEvents)).toEqual([
        {
          type: 'WorkspaceDeleted',
          position: expect.any(Number),
          occurredAt: expect.stringMatching(ISO_UTC),
          workspace: null,
        },
      ]);
    } finally {
      sub.unsubscribe();
    }
  });
});

describe('auditLog(types) over graphql-ws', () => {
  const AUDIT = `subscription($types: [String!]) { auditLog(types: $types) { id event type userId metadata occurredAt } }`;

  it('given an admin subscribed to workspace_created, then it receives exactly the workspace_created entries, in order', async () => {
    const sub = subscribe(wsClient(admin), AUDIT, { types: ['workspace_created'] });
    try {
      await untilLive(sub, () => restWorkspace({ name: `Warmup ${uniqueName('w')}` }));
      const mark = Number(sub.results[0].data.auditLog.id);

      const a = await restWorkspace({ name: `Audit A ${uniqueName('a')}` });
      await restPatch(a.slug, { top_n: 12, openai_prompt: 'Audited.' }); // workspace_updated, workspace_prompt_changed
      await http.call('POST', '/api/auth/login/', { username: alice.user.username, password: STRONG_PASSWORD }); // login_event
      const b = await restWorkspace({ name: `Audit B ${uniqueName('b')}` }, manager);
      await http.call('POST', `/api/workspaces/${b.slug}/threads/`, { name: 'noise' }, as(admin));
      const c = await gql(CREATE, { input: { name: `Audit C ${uniqueName('c')}` } }, as(admin));
      const last = c.body.data.createWorkspace;
      await sub.until(
        () => sub.results.some((r) => r.data?.auditLog?.metadata?.workspace_id === Number(last.id)),
        'the last workspace_created',
      );

      const received = sub.results.map((r) => r.data.auditLog).filter((e) => Number(e.id) > mark);
      const log = await http.call(
        'GET',
        `/api/system/event-logs/?event=workspace_created&id__gt=${mark}&limit=100`,
        undefined,
        as(admin),
      );
      const expected = [...log.body.results].reverse();
      expect(received.map((e) => Number(e.id))).toEqual(expected.map((e: any) => e.id));
      expect(received.map((e) => e.metadata.workspace_id)).toEqual([a.id, b.id, Number(last.id)]);
      for (const e of sub.results.map((r) => r.data.auditLog)) {
        expect(e).toMatchObject({
          event: 'workspace_created',
          type: 'WorkspaceCreated',
          occurredAt: expect.stringMatching(ISO_UTC),
        });
      }
      expect(received.map((e) => e.userId)).toEqual([
        String(admin.user.id),
        String(manager.user.id),
        String(admin.user.id),
      ]);
    } finally {
      sub.unsubscribe();
    }
  });

  it('given a default user, then the subscription errors with FORBIDDEN and ends; without credentials, UNAUTHENTICATED', async () => {
    const sub = subscribe(wsClient(alice), AUDIT, { types: ['workspace_created'] });
    await sub.until(() => sub.state.completed, 'the subscription to end');
    expect(sub.results).toEqual([
      expect.objectContaining({
        errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })],
      }),
    ]);
    const anon = subscribe(wsClient(), AUDIT, {});
    await anon.until(() => anon.state.completed, 'the subscription to end');
    expect(anon.results[0].errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('given a manager, then FORBIDDEN too', async () => {
    const sub = subscribe(wsClient(manager), AUDIT, {});
    await sub.until(() => sub.state.completed, 'the subscription to end');
    expect(sub.results[0].errors[0].extensions.code).toBe('FORBIDDEN');
  });
});

describe('every answer of this suite', () => {
  it('holds no stack trace, no password hash, and no 5xx', () => {
    expect(http.leaks()).toEqual([]);
    expect(http.bodies.some((b) => /"stacktrace"|exception/i.test(b.text))).toBe(false);
  });
});
