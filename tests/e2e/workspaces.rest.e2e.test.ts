/**
 * The Workspaces App (spec/api.md) and the threads DESIGN.md adds, over real HTTP against a real
 * server (embedded adapters, temporary DATA_DIR): list, create, update, delete, members, threads,
 * role rules, validation, optimistic concurrency and Idempotency-Key. Every refused request is
 * checked to append nothing.
 */
import { appendedSince, expectAppendsNothing, recordingApi, uniqueName } from '../support/e2e.js';
import { bearer, registerAndLogin, type Session, startTestServer, type TestServer } from '../support/server.js';

const NO_CREDENTIALS = { detail: 'Authentication credentials were not provided.' };
const INVALID_TOKEN = { detail: 'Given token not valid for any token type' };
const FORBIDDEN = { detail: 'You do not have permission to perform this action.' };
const NOT_FOUND = { detail: 'Not found.' };
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Every field a workspace shows in the list and on its own (spec: id..created_at, plus every setting). */
const WORKSPACE_FIELDS = [
  'id',
  'name',
  'slug',
  'chat_mode',
  'chat_provider',
  'chat_model',
  'openai_prompt',
  'openai_temp',
  'top_n',
  'similarity_threshold',
  'chat_history',
  'query_refusal_response',
  'user_count',
  'document_count',
  'created_at',
];

let server: TestServer;
let http: ReturnType<typeof recordingApi>;
/** The first user registered: admin. */
let admin: Session;
/** A default user promoted to manager by the admin. */
let manager: Session;
/** Default users: alice is added to the workspaces she needs, bob to none unless a test says so. */
let alice: Session;
let bob: Session;

const as = (s: Session) => bearer(s.access);

/** Creates a workspace as `who` (admin by default) and answers it; fails the test on anything but 201. */
async function createWorkspace(body: Record<string, unknown> = {}, who: Session = admin) {
  const res = await http.call('POST', '/api/workspaces/', { name: `WS ${uniqueName('ws')}`, ...body }, as(who));
  if (res.status !== 201) throw new Error(`create workspace: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function addUser(slug: string, userId: number, who: Session = admin) {
  const res = await http.call('POST', `/api/workspaces/${slug}/add_user/`, { user_id: userId }, as(who));
  if (res.status !== 200) throw new Error(`add_user: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function createThread(slug: string, who: Session, body: Record<string, unknown> = {}) {
  const res = await http.call('POST', `/api/workspaces/${slug}/threads/`, body, as(who));
  if (res.status !== 201) throw new Error(`create thread: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Every event-log entry with the given name whose metadata names this workspace. */
async function logEntries(event: string, workspaceId: number) {
  const res = await http.call('GET', `/api/system/event-logs/?event=${event}&limit=1000`, undefined, as(admin));
  expect(res.status).toBe(200);
  return (res.body.results as any[]).filter((e) => e.metadata?.workspace_id === workspaceId);
}

beforeAll(async () => {
  server = await startTestServer();
  http = recordingApi(server);
  admin = await registerAndLogin(http, { prefix: 'wsadmin' });
  manager = await registerAndLogin(http, { prefix: 'wsmgr' });
  const promoted = await http.call('PATCH', `/api/users/${manager.user.id}/`, { role: 'manager' }, as(admin));
  if (promoted.status !== 200) throw new Error(`promote: ${promoted.status} ${JSON.stringify(promoted.body)}`);
  alice = await registerAndLogin(http, { prefix: 'alice' });
  bob = await registerAndLogin(http, { prefix: 'bob' });
});

afterAll(async () => {
  await server?.close();
});

describe('POST /api/workspaces/ (create)', () => {
  it('given an admin, when it creates a workspace, then 201 with every setting, defaults for those not given, and the slug from the name', async () => {
    const tag = uniqueName('proj').split('_')[1];
    const res = await http.call(
      'POST',
      '/api/workspaces/',
      {
        name: `Project ${tag}`,
        chat_mode: 'chat',
        openai_prompt: 'You are a helpful assistant.',
      },
      as(admin),
    );
    expect(res.status).toBe(201);
    expect(res.body).toEqual(
      expect.objectContaining({
        id: expect.any(Number),
        name: `Project ${tag}`,
        slug: `project-${tag}`,
        chat_mode: 'chat',
        chat_provider: null,
        chat_model: null,
        openai_prompt: 'You are a helpful assistant.',
        openai_temp: expect.any(Number),
        top_n: expect.any(Number),
        similarity_threshold: expect.any(Number),
        chat_history: expect.any(Number),
        query_refusal_response: expect.any(String),
        user_count: 0,
        document_count: 0,
        created_at: expect.stringMatching(ISO_UTC),
      }),
    );
    expect(Object.keys(res.body)).toEqual(expect.arrayContaining(WORKSPACE_FIELDS));
    expect(Number.isInteger(res.body.id)).toBe(true);
    expect(Object.keys(res.body).filter((k) => /member|_pos|_id$/.test(k))).toEqual([]);
  });

  it('when a workspace is created, then the answer is what GET /api/workspaces/{slug}/ shows', async () => {
    const created = await createWorkspace({ chat_mode: 'query', top_n: 7 });
    const get = await http.call('GET', `/api/workspaces/${created.slug}/`, undefined, as(admin));
    expect(get.status).toBe(200);
    expect(get.body).toEqual(created);
  });

  it('given every setting, when a workspace is created with them, then each is stored as given', async () => {
    const settings = {
      chat_mode: 'query',
      chat_provider: 'openai',
      chat_model: 'gpt-4',
      openai_prompt: 'Be brief.',
      openai_temp: 1.5,
      top_n: 9,
      similarity_threshold: 0.5,
      chat_history: 3,
      query_refusal_response: 'Nothing found.',
    };
    const created = await createWorkspace(settings);
    expect(created).toMatchObject(settings);
  });

  it('given a manager, when it creates a workspace, then 201', async () => {
    const res = await http.call('POST', '/api/workspaces/', { name: `Mgr ${uniqueName('m')}` }, as(manager));
    expect(res.status).toBe(201);
    expect(res.body.user_count).toBe(0);
  });

  it('given a default user, when it creates a workspace, then 403 and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', '/api/workspaces/', { name: uniqueName('nope') }, as(alice)),
    );
    expect(res.status).toBe(403);
    expect(res.body).toEqual(FORBIDDEN);
  });

  it('given no credentials, then 401 and nothing appended; given a bad token, then 401 with the token message', async () => {
    const anon = await expectAppendsNothing(server, () =>
      http.call('POST', '/api/workspaces/', { name: uniqueName('anon') }),
    );
    expect(anon.status).toBe(401);
    expect(anon.body).toEqual(NO_CREDENTIALS);
    const bad = await expectAppendsNothing(server, () =>
      http.call('POST', '/api/workspaces/', { name: uniqueName('anon') }, bearer('not-a-jwt')),
    );
    expect(bad.status).toBe(401);
    expect(bad.body).toEqual(INVALID_TOKEN);
  });

  it('given a name already taken, when another workspace gets it, then its slug has a suffix: -2, then -3 (also for another case)', async () => {
    const tag = uniqueName('dup').split('_')[1];
    const first = await createWorkspace({ name: `Team ${tag}` });
    const second = await createWorkspace({ name: `Team ${tag}` });
    const third = await createWorkspace({ name: `TEAM ${tag}` });
    expect([first.slug, second.slug, third.slug]).toEqual([`team-${tag}`, `team-${tag}-2`, `team-${tag}-3`]);
    expect(new Set([first.id, second.id, third.id]).size).toBe(3);
    for (const ws of [first, second, third]) {
      const get = await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(admin));
      expect(get.body.id).toBe(ws.id);
    }
  });

  it('given a name with accents and punctuation, then the slug is lower-case words joined by dashes', async () => {
    const tag = uniqueName('x').split('_')[1];
    const ws = await createWorkspace({ name: `  Équipe Été — R&D ${tag}!  ` });
    expect(ws.slug).toBe(`equipe-ete-r-d-${tag}`);
  });

  it('given five concurrent creates of one name, then five workspaces with five different slugs', async () => {
    const tag = uniqueName('race').split('_')[1];
    const answers = await Promise.all(
      [0, 1, 2, 3, 4].map(() => http.call('POST', '/api/workspaces/', { name: `Race ${tag}` }, as(admin))),
    );
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    expect(answers.map((a) => a.body.slug).sort()).toEqual([
      `race-${tag}`,
      `race-${tag}-2`,
      `race-${tag}-3`,
      `race-${tag}-4`,
      `race-${tag}-5`,
    ]);
  });

  const long = 'x'.repeat(256);
  it.each([
    ['no name', 'name', {}],
    ['a blank name', 'name', { name: '   ' }],
    ['a name of 256 characters', 'name', { name: long }],
    ['a name that is not a string', 'name', { name: 42 }],
    ['chat_mode "agent"', 'chat_mode', { chat_mode: 'agent' }],
    ['an unknown chat_provider', 'chat_provider', { chat_provider: 'skynet' }],
    ['openai_temp above 2', 'openai_temp', { openai_temp: 2.01 }],
    ['openai_temp below 0', 'openai_temp', { openai_temp: -0.1 }],
    ['openai_temp as a string', 'openai_temp', { openai_temp: '0.5' }],
    ['top_n of 0', 'top_n', { top_n: 0 }],
    ['a fractional top_n', 'top_n', { top_n: 1.5 }],
    ['similarity_threshold above 1', 'similarity_threshold', { similarity_threshold: 1.01 }],
    ['similarity_threshold below 0', 'similarity_threshold', { similarity_threshold: -0.01 }],
    ['chat_history below 0', 'chat_history', { chat_history: -1 }],
    ['a blank query_refusal_response', 'query_refusal_response', { query_refusal_response: '' }],
  ])(
    'given %s, when a workspace is created, then 400 with field_errors.%s only, and nothing appended',
    async (_what, field, override) => {
      const body = { name: uniqueName('invalid'), ...override };
      if (!('name' in override) && field === 'name') delete (body as Record<string, unknown>).name;
      const res = await expectAppendsNothing(server, () => http.call('POST', '/api/workspaces/', body, as(admin)));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: expect.any(String), field_errors: { [field]: [expect.any(String)] } });
    },
  );

  it('given a field the API does not know, then 400 with field_errors, and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', '/api/workspaces/', { name: uniqueName('x'), colour: 'red' }, as(admin)),
    );
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: expect.any(String), field_errors: expect.any(Object) });
    expect(Object.keys(res.body.field_errors).length).toBeGreaterThan(0);
  });

  it('given malformed JSON, then 400 {error, field_errors}, and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', '/api/workspaces/', '{"name": ', { ...as(admin), 'Content-Type': 'application/json' }),
    );
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: expect.any(String), field_errors: {} });
  });

  describe('with an Idempotency-Key', () => {
    it('given the same key twice, then the same workspace twice, one workspace created, and nothing appended the second time', async () => {
      const name = `Idem ${uniqueName('k')}`;
      const key = `key-${uniqueName('idem')}`;
      const first = await http.call('POST', '/api/workspaces/', { name }, { ...as(admin), 'Idempotency-Key': key });
      expect(first.status).toBe(201);
      const second = await expectAppendsNothing(server, () =>
        http.call('POST', '/api/workspaces/', { name }, { ...as(admin), 'Idempotency-Key': key }),
      );
      expect(second.status).toBe(201);
      expect(second.body.id).toBe(first.body.id);
      expect(second.body.slug).toBe(first.body.slug);
      const list = await http.call('GET', `/api/workspaces/?name=${encodeURIComponent(name)}`, undefined, as(admin));
      expect(list.body.map((w: any) => w.id)).toEqual([first.body.id]);
    });

    it('given the same key sent three times at once, then one workspace, and all three answers name it', async () => {
      const name = `IdemRace ${uniqueName('k')}`;
      const key = `key-${uniqueName('idem')}`;
      const answers = await Promise.all(
        [0, 1, 2].map(() => http.call('POST', '/api/workspaces/', { name }, { ...as(admin), 'Idempotency-Key': key })),
      );
      expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      const list = await http.call('GET', `/api/workspaces/?name=${encodeURIComponent(name)}`, undefined, as(admin));
      expect(list.body).toHaveLength(1);
    });

    it('given a key already used for another body, then 400, and nothing appended', async () => {
      const key = `key-${uniqueName('idem')}`;
      const first = await http.call(
        'POST',
        '/api/workspaces/',
        { name: uniqueName('one') },
        { ...as(admin), 'Idempotency-Key': key },
      );
      expect(first.status).toBe(201);
      const res = await expectAppendsNothing(server, () =>
        http.call('POST', '/api/workspaces/', { name: uniqueName('two') }, { ...as(admin), 'Idempotency-Key': key }),
      );
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual(expect.any(String));
    });

    it('given a refused first try (400), when it is retried fixed with the same key, then it is created', async () => {
      const key = `key-${uniqueName('idem')}`;
      const bad = await http.call('POST', '/api/workspaces/', { name: '' }, { ...as(admin), 'Idempotency-Key': key });
      expect(bad.status).toBe(400);
      const good = await http.call(
        'POST',
        '/api/workspaces/',
        { name: uniqueName('fixed') },
        { ...as(admin), 'Idempotency-Key': key },
      );
      expect(good.status).toBe(201);
    });
  });
});

describe('GET /api/workspaces/ (list)', () => {
  /** A group of workspaces sharing a tag, so list filters can find exactly them. */
  const tag = uniqueName('grp').split('_')[1];
  let group: any[];
  let createdBetween: string;

  beforeAll(async () => {
    group = [];
    group.push(await createWorkspace({ name: `Alpha ${tag}`, chat_mode: 'chat' }));
    group.push(await createWorkspace({ name: `Beta ${tag}`, chat_mode: 'query' }));
    await new Promise((r) => setTimeout(r, 5));
    createdBetween = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    group.push(await createWorkspace({ name: `Gamma ${tag}`, chat_mode: 'query' }));
    group.push(await createWorkspace({ name: `Delta ${tag}`, chat_mode: 'chat' }, manager));
    group.push(await createWorkspace({ name: `Epsilon ${tag}`, chat_mode: 'chat' }));
    await addUser(group[0].slug, alice.user.id);
    await addUser(group[2].slug, alice.user.id);
  });

  it('given no credentials, then 401', async () => {
    const res = await http.call('GET', '/api/workspaces/');
    expect(res.status).toBe(401);
    expect(res.body).toEqual(NO_CREDENTIALS);
  });

  it('given an admin, then a plain array holding every workspace with every field, whoever created it', async () => {
    const res = await http.call('GET', '/api/workspaces/', undefined, as(admin));
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    const ids = res.body.map((w: any) => w.id);
    for (const ws of group) expect(ids).toContain(ws.id);
    for (const w of res.body) expect(Object.keys(w)).toEqual(expect.arrayContaining(WORKSPACE_FIELDS));
    const alpha = res.body.find((w: any) => w.id === group[0].id);
    expect(alpha).toMatchObject({
      name: `Alpha ${tag}`,
      user_count: 1,
      document_count: 0,
      created_at: expect.stringMatching(ISO_UTC),
    });
  });

  it('given a manager, then it sees every workspace too', async () => {
    const res = await http.call('GET', `/api/workspaces/?search=${tag}`, undefined, as(manager));
    expect(res.status).toBe(200);
    expect(res.body.map((w: any) => w.id).sort()).toEqual(group.map((w) => w.id).sort());
  });

  it('given a default user, then only the workspaces it was added to', async () => {
    const res = await http.call('GET', '/api/workspaces/', undefined, as(alice));
    expect(res.status).toBe(200);
    const ids = res.body.map((w: any) => w.id);
    expect(ids).toEqual(expect.arrayContaining([group[0].id, group[2].id]));
    for (const other of [group[1], group[3], group[4]]) expect(ids).not.toContain(other.id);
  });

  it('given a default user added to nothing, then an empty list (and an envelope with count 0)', async () => {
    const nobody = await registerAndLogin(http, { prefix: 'nobody' });
    const plain = await http.call('GET', '/api/workspaces/', undefined, as(nobody));
    expect(plain).toMatchObject({ status: 200, body: [] });
    const paged = await http.call('GET', '/api/workspaces/?limit=10', undefined, as(nobody));
    expect(paged.body).toEqual({ count: 0, next: null, previous: null, results: [] });
  });

  it('given search, then a case-insensitive match in the name or slug; for a default user still only its own', async () => {
    const res = await http.call('GET', `/api/workspaces/?search=${tag.toUpperCase()}`, undefined, as(admin));
    expect(res.body.map((w: any) => w.id).sort()).toEqual(group.map((w) => w.id).sort());
    const one = await http.call(
      'GET',
      `/api/workspaces/?search=${encodeURIComponent(`gamma ${tag}`)}`,
      undefined,
      as(admin),
    );
    expect(one.body.map((w: any) => w.id)).toEqual([group[2].id]);
    const bySlug = await http.call('GET', `/api/workspaces/?search=${`beta-${tag}`}`, undefined, as(admin));
    expect(bySlug.body.map((w: any) => w.id)).toEqual([group[1].id]);
    const scoped = await http.call('GET', `/api/workspaces/?search=${tag}`, undefined, as(alice));
    expect(scoped.body.map((w: any) => w.id).sort()).toEqual([group[0].id, group[2].id].sort());
  });

  it('given limit, then {count, next, previous, results} with absolute next/previous URLs that page through everything', async () => {
    const first = await http.call('GET', `/api/workspaces/?search=${tag}&limit=2`, undefined, as(admin));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      count: 5,
      next: expect.stringMatching(/^http:\/\//),
      previous: null,
      results: expect.any(Array),
    });
    expect(first.body.results).toHaveLength(2);
    expect(first.body.next).toContain('limit=2');
    expect(first.body.next).toContain('offset=2');
    expect(first.body.next).toContain(`search=${tag}`);

    const seen = [...first.body.results];
    let page = first.body;
    while (page.next) {
      const nextPath = page.next.slice(page.next.indexOf('/api/'));
      const res = await http.call('GET', nextPath, undefined, as(admin));
      expect(res.status).toBe(200);
      expect(res.body.previous).toEqual(expect.stringMatching(/^http:\/\//));
      expect(res.body.count).toBe(5);
      page = res.body;
      seen.push(...page.results);
    }
    expect(seen.map((w) => w.id).sort()).toEqual(group.map((w) => w.id).sort());
  });

  it('given an offset past the end, then an empty page with the full count', async () => {
    const res = await http.call('GET', `/api/workspaces/?search=${tag}&limit=2&offset=10`, undefined, as(admin));
    expect(res.body).toMatchObject({ count: 5, next: null, results: [] });
  });

  it('given a default user and limit, then count counts only its workspaces', async () => {
    const res = await http.call('GET', `/api/workspaces/?search=${tag}&limit=1`, undefined, as(alice));
    expect(res.body.count).toBe(2);
    expect(res.body.results).toHaveLength(1);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=5&offset=-1', 'offset'],
  ])('given %s, then 400 with field_errors.%s', async (query, field) => {
    const res = await http.call('GET', `/api/workspaces/?${query}`, undefined, as(admin));
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.field_errors)).toEqual([field]);
  });

  it('given chat_mode=query, then only workspaces in query mode', async () => {
    const res = await http.call('GET', `/api/workspaces/?search=${tag}&chat_mode=query`, undefined, as(admin));
    expect(res.body.map((w: any) => w.id).sort()).toEqual([group[1].id, group[2].id].sort());
    for (const w of res.body) expect(w.chat_mode).toBe('query');
  });

  it('given created_at__gte, then only workspaces created at or after that instant; created_at__lt the others', async () => {
    const after = await http.call(
      'GET',
      `/api/workspaces/?search=${tag}&created_at__gte=${encodeURIComponent(createdBetween)}`,
      undefined,
      as(admin),
    );
    expect(after.status).toBe(200);
    expect(after.body.map((w: any) => w.id).sort()).toEqual([group[2].id, group[3].id, group[4].id].sort());
    const before = await http.call(
      'GET',
      `/api/workspaces/?search=${tag}&created_at__lt=${encodeURIComponent(createdBetween)}`,
      undefined,
      as(admin),
    );
    expect(before.body.map((w: any) => w.id).sort()).toEqual([group[0].id, group[1].id].sort());
  });

  it('given name__icontains, id__in and user_count__gte, then Django-style lookups filter the list', async () => {
    const contains = await http.call(
      'GET',
      `/api/workspaces/?name__icontains=${`ALPHA ${tag}`.replace(' ', '%20')}`,
      undefined,
      as(admin),
    );
    expect(contains.body.map((w: any) => w.id)).toEqual([group[0].id]);
    const ids = `${group[1].id},${group[3].id}`;
    const within = await http.call('GET', `/api/workspaces/?id__in=${ids}`, undefined, as(admin));
    expect(within.body.map((w: any) => w.id).sort()).toEqual([group[1].id, group[3].id].sort());
    const members = await http.call('GET', `/api/workspaces/?search=${tag}&user_count__gte=1`, undefined, as(admin));
    expect(members.body.map((w: any) => w.id).sort()).toEqual([group[0].id, group[2].id].sort());
  });

  it.each([
    ['created_at__gte=yesterday-ish', 'created_at__gte'],
    ['id=abc', 'id'],
  ])('given %s, then 400 with field_errors naming the parameter', async (query, param) => {
    const res = await http.call('GET', `/api/workspaces/?${query}`, undefined, as(admin));
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.field_errors)).toEqual([param]);
  });

  it('given /api/v1/, then the same list', async () => {
    const v1 = await http.call('GET', `/api/v1/workspaces/?search=${tag}`, undefined, as(admin));
    const plain = await http.call('GET', `/api/workspaces/?search=${tag}`, undefined, as(admin));
    expect(v1.status).toBe(200);
    expect(v1.body).toEqual(plain.body);
  });
});

describe('GET /api/workspaces/{slug}/', () => {
  let ws: any;

  beforeAll(async () => {
    ws = await createWorkspace();
    await addUser(ws.slug, alice.user.id);
  });

  it.each([
    ['an admin', () => admin],
    ['a manager', () => manager],
    ['a default user added to it', () => alice],
  ])('given %s, then 200 with the workspace', async (_who, who) => {
    const res = await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(who()));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: ws.id, slug: ws.slug, user_count: 1 });
  });

  it('given a default user not in it, then 404, as for a slug that does not exist', async () => {
    const res = await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(bob));
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
    const none = await http.call('GET', `/api/workspaces/no-such-${uniqueName('slug')}/`, undefined, as(admin));
    expect(none.status).toBe(404);
    expect(none.body).toEqual(NOT_FOUND);
  });

  it('given no credentials, then 401', async () => {
    const res = await http.call('GET', `/api/workspaces/${ws.slug}/`);
    expect(res.status).toBe(401);
  });
});

describe('PATCH /api/workspaces/{slug}/', () => {
  let ws: any;

  beforeAll(async () => {
    ws = await createWorkspace();
    await addUser(ws.slug, alice.user.id);
  });

  it('given an admin and every setting, then 200 with the new values, which GET shows too', async () => {
    const changes = {
      chat_mode: 'query',
      chat_provider: 'anthropic',
      chat_model: 'claude-3',
      openai_prompt: 'Answer in French.',
      openai_temp: 0.2,
      top_n: 6,
      similarity_threshold: 0.4,
      chat_history: 12,
      query_refusal_response: 'Rien trouvé.',
    };
    const res = await http.call('PATCH', `/api/workspaces/${ws.slug}/`, changes, as(admin));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: ws.id, slug: ws.slug, ...changes });
    const get = await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(admin));
    expect(get.body).toEqual(res.body);
  });

  it('given the spec example (chat_model, openai_temp, top_n), then 200 and the others unchanged', async () => {
    const before = (await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(admin))).body;
    const res = await http.call(
      'PATCH',
      `/api/workspaces/${ws.slug}/`,
      { chat_model: 'gpt-4-turbo', openai_temp: 0.7, top_n: 5 },
      as(admin),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...before,
      chat_model: 'gpt-4-turbo',
      openai_temp: 0.7,
      top_n: 5,
      updated_at: expect.any(String),
    });
  });

  it.each([
    ['openai_temp 0 and 2', [{ openai_temp: 0 }, { openai_temp: 2 }]],
    ['top_n 1', [{ top_n: 1 }]],
    ['similarity_threshold 0 and 1', [{ similarity_threshold: 0 }, { similarity_threshold: 1 }]],
    ['chat_history 0', [{ chat_history: 0 }]],
    ['chat_provider and chat_model back to null', [{ chat_provider: null, chat_model: null }]],
    ['openai_prompt back to null', [{ openai_prompt: null }]],
  ])('given the boundary values %s, then 200 and they are stored', async (_what, patches) => {
    for (const patch of patches as Record<string, unknown>[]) {
      const res = await http.call('PATCH', `/api/workspaces/${ws.slug}/`, patch, as(admin));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject(patch);
    }
  });

  it.each([
    ['chat_mode "agent"', 'chat_mode', { chat_mode: 'agent' }],
    ['chat_mode null', 'chat_mode', { chat_mode: null }],
    ['an unknown chat_provider', 'chat_provider', { chat_provider: 'skynet' }],
    ['a blank chat_model', 'chat_model', { chat_model: '  ' }],
    ['openai_prompt as a number', 'openai_prompt', { openai_prompt: 12 }],
    ['openai_temp 2.5', 'openai_temp', { openai_temp: 2.5 }],
    ['openai_temp -1', 'openai_temp', { openai_temp: -1 }],
    ['openai_temp "warm"', 'openai_temp', { openai_temp: 'warm' }],
    ['top_n 0', 'top_n', { top_n: 0 }],
    ['top_n -3', 'top_n', { top_n: -3 }],
    ['top_n 2.5', 'top_n', { top_n: 2.5 }],
    ['similarity_threshold 1.5', 'similarity_threshold', { similarity_threshold: 1.5 }],
    ['similarity_threshold -0.5', 'similarity_threshold', { similarity_threshold: -0.5 }],
    ['chat_history -1', 'chat_history', { chat_history: -1 }],
    ['chat_history 1.5', 'chat_history', { chat_history: 1.5 }],
    ['a blank query_refusal_response', 'query_refusal_response', { query_refusal_response: ' ' }],
    ['a blank name', 'name', { name: '' }],
  ])('given %s, then 400 with field_errors.%s only, and nothing appended', async (_what, field, body) => {
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/workspaces/${ws.slug}/`, body, as(admin)),
    );
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: expect.any(String), field_errors: { [field]: [expect.any(String)] } });
  });

  it('given several invalid fields at once, then one field error for each, and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/workspaces/${ws.slug}/`, { openai_temp: 3, top_n: 0, chat_mode: 'x' }, as(admin)),
    );
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.field_errors).sort()).toEqual(['chat_mode', 'openai_temp', 'top_n']);
  });

  it('given a rename, then the name changes and the slug stays; the new name names no other slug', async () => {
    const name = `Renamed ${uniqueName('r')}`;
    const res = await http.call('PATCH', `/api/workspaces/${ws.slug}/`, { name }, as(admin));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: ws.id, name, slug: ws.slug });
    const get = await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(alice));
    expect(get.body.name).toBe(name);
    const byNewName = await http.call(
      'GET',
      `/api/workspaces/${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}/`,
      undefined,
      as(admin),
    );
    expect(byNewName.status).toBe(404);
  });

  it('given a manager, then 200', async () => {
    const res = await http.call('PATCH', `/api/workspaces/${ws.slug}/`, { top_n: 11 }, as(manager));
    expect(res.status).toBe(200);
    expect(res.body.top_n).toBe(11);
  });

  it('given a default user in the workspace, then 403 and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/workspaces/${ws.slug}/`, { top_n: 2 }, as(alice)),
    );
    expect(res.status).toBe(403);
    expect(res.body).toEqual(FORBIDDEN);
  });

  it('given a default user not in the workspace, then 404 and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/workspaces/${ws.slug}/`, { top_n: 2 }, as(bob)),
    );
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });

  it('given no credentials, then 401 and nothing appended; given an unknown slug, then 404 and nothing appended', async () => {
    const anon = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/workspaces/${ws.slug}/`, { top_n: 2 }),
    );
    expect(anon.status).toBe(401);
    const none = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/workspaces/nope-${uniqueName('s')}/`, { top_n: 2 }, as(admin)),
    );
    expect(none.status).toBe(404);
  });

  it('given values equal to the current ones, then 200 and nothing appended', async () => {
    const current = (await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(admin))).body;
    const res = await expectAppendsNothing(server, () =>
      http.call(
        'PATCH',
        `/api/workspaces/${ws.slug}/`,
        { top_n: current.top_n, chat_mode: current.chat_mode },
        as(admin),
      ),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual(current);
  });

  it('given a change, then exactly one workspace_updated entry for it in the event log, carrying the change', async () => {
    const before = (await logEntries('workspace_updated', ws.id)).length;
    const res = await http.call('PATCH', `/api/workspaces/${ws.slug}/`, { chat_history: 33 }, as(admin));
    expect(res.status).toBe(200);
    const entries = await logEntries('workspace_updated', ws.id);
    expect(entries).toHaveLength(before + 1);
    expect(entries[0]).toMatchObject({
      user_id: admin.user.id,
      metadata: expect.objectContaining({ changes: { chat_history: 33 } }),
    });
  });

  it('given 20 concurrent PATCHes of one workspace, then each answers 200 or 409, and each 200 is one workspace_updated entry: none lost', async () => {
    const target = await createWorkspace();
    const values = Array.from({ length: 20 }, (_, i) => 20 + i);
    const answers = await Promise.all(
      values.map((top_n) =>
        http.call('PATCH', `/api/workspaces/${target.slug}/`, { top_n, chat_model: `model-${top_n}` }, as(admin)),
      ),
    );
    for (const a of answers) expect([200, 409]).toContain(a.status);
    for (const a of answers.filter((x) => x.status === 409)) expect(a.body).toEqual({ error: expect.any(String) });
    const applied = values.filter((_, i) => answers[i].status === 200);
    expect(applied.length).toBeGreaterThan(0);

    const entries = await logEntries('workspace_updated', target.id);
    expect(entries).toHaveLength(applied.length);
    expect(entries.map((e) => e.metadata.changes.top_n).sort()).toEqual([...applied].sort());

    // The workspace ends with the values of the last update applied, both fields from the same request.
    const final = (await http.call('GET', `/api/workspaces/${target.slug}/`, undefined, as(admin))).body;
    const last = entries[0].metadata.changes.top_n; // newest first
    expect(final).toMatchObject({ top_n: last, chat_model: `model-${last}` });
  });
});

describe('DELETE /api/workspaces/{slug}/', () => {
  it('given a default user in the workspace, then 403; not in it, then 404; no credentials, then 401; nothing appended', async () => {
    const ws = await createWorkspace();
    await addUser(ws.slug, alice.user.id);
    const member = await expectAppendsNothing(server, () =>
      http.call('DELETE', `/api/workspaces/${ws.slug}/`, undefined, as(alice)),
    );
    expect(member).toMatchObject({ status: 403, body: FORBIDDEN });
    const outsider = await expectAppendsNothing(server, () =>
      http.call('DELETE', `/api/workspaces/${ws.slug}/`, undefined, as(bob)),
    );
    expect(outsider).toMatchObject({ status: 404, body: NOT_FOUND });
    const anon = await expectAppendsNothing(server, () => http.call('DELETE', `/api/workspaces/${ws.slug}/`));
    expect(anon.status).toBe(401);
    expect((await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(admin))).status).toBe(200);
  });

  it('given an admin, then 204, and the workspace is gone: GET, PATCH, add_user and threads answer 404, the list leaves it out', async () => {
    const ws = await createWorkspace();
    await addUser(ws.slug, alice.user.id);
    await createThread(ws.slug, alice);
    const res = await http.call('DELETE', `/api/workspaces/${ws.slug}/`, undefined, as(admin));
    expect(res.status).toBe(204);
    expect((await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(admin))).status).toBe(404);
    expect((await http.call('PATCH', `/api/workspaces/${ws.slug}/`, { top_n: 3 }, as(admin))).status).toBe(404);
    expect(
      (await http.call('POST', `/api/workspaces/${ws.slug}/add_user/`, { user_id: bob.user.id }, as(admin))).status,
    ).toBe(404);
    expect((await http.call('GET', `/api/workspaces/${ws.slug}/threads/`, undefined, as(alice))).status).toBe(404);
    const list = await http.call('GET', '/api/workspaces/', undefined, as(admin));
    expect(list.body.map((w: any) => w.id)).not.toContain(ws.id);
    const again = await expectAppendsNothing(server, () =>
      http.call('DELETE', `/api/workspaces/${ws.slug}/`, undefined, as(admin)),
    );
    expect(again.status).toBe(404);
  });

  it('given a manager, then 204', async () => {
    const ws = await createWorkspace();
    const res = await http.call('DELETE', `/api/workspaces/${ws.slug}/`, undefined, as(manager));
    expect(res.status).toBe(204);
  });

  it('given a deleted workspace, then its slug is free: a new workspace of that name gets the same slug (and a new id)', async () => {
    const tag = uniqueName('free').split('_')[1];
    const first = await createWorkspace({ name: `Free ${tag}` });
    const second = await createWorkspace({ name: `Free ${tag}` });
    expect(second.slug).toBe(`free-${tag}-2`);
    expect((await http.call('DELETE', `/api/workspaces/${first.slug}/`, undefined, as(admin))).status).toBe(204);
    const again = await createWorkspace({ name: `Free ${tag}` });
    expect(again.slug).toBe(`free-${tag}`);
    expect(again.id).not.toBe(first.id);
    const get = await http.call('GET', `/api/workspaces/free-${tag}/`, undefined, as(admin));
    expect(get.body).toMatchObject({ id: again.id, user_count: 0 });
    expect((await http.call('GET', `/api/workspaces/${second.slug}/`, undefined, as(admin))).body.id).toBe(second.id);
  });
});

describe('POST /api/workspaces/{slug}/add_user/ and remove_user/', () => {
  let ws: any;

  beforeAll(async () => {
    ws = await createWorkspace();
  });

  it('given an admin, when it adds a user, then 200 with user_count 1, and the user now sees the workspace', async () => {
    expect((await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(bob))).status).toBe(404);
    const res = await http.call('POST', `/api/workspaces/${ws.slug}/add_user/`, { user_id: bob.user.id }, as(admin));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: ws.id, user_count: 1 });
    const seen = await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(bob));
    expect(seen.status).toBe(200);
    const list = await http.call('GET', '/api/workspaces/', undefined, as(bob));
    expect(list.body.map((w: any) => w.id)).toContain(ws.id);
  });

  it('given a user already in it, when added again, then 200, user_count unchanged, and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', `/api/workspaces/${ws.slug}/add_user/`, { user_id: bob.user.id }, as(admin)),
    );
    expect(res.status).toBe(200);
    expect(res.body.user_count).toBe(1);
  });

  it('given a manager, when it adds a second user, then user_count 2 in the answer and in the list', async () => {
    const res = await http.call(
      'POST',
      `/api/workspaces/${ws.slug}/add_user/`,
      { user_id: alice.user.id },
      as(manager),
    );
    expect(res.status).toBe(200);
    expect(res.body.user_count).toBe(2);
    const list = await http.call('GET', `/api/workspaces/?slug=${ws.slug}`, undefined, as(admin));
    expect(list.body).toEqual([expect.objectContaining({ id: ws.id, user_count: 2 })]);
  });

  it.each([
    ['an unknown user id', { user_id: 999_999 }],
    ['no user_id', {}],
    ['a user_id that is not an integer', { user_id: 'bob' }],
    ['a negative user_id', { user_id: -1 }],
  ])('given %s, then 400 with field_errors.user_id, and nothing appended', async (_what, body) => {
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', `/api/workspaces/${ws.slug}/add_user/`, body, as(admin)),
    );
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: expect.any(String), field_errors: { user_id: [expect.any(String)] } });
  });

  it('given a default user in the workspace, then add_user is 403; not in it, 404; no credentials, 401; nothing appended', async () => {
    const outsider = await registerAndLogin(http, { prefix: 'outsider' });
    const member = await expectAppendsNothing(server, () =>
      http.call('POST', `/api/workspaces/${ws.slug}/add_user/`, { user_id: outsider.user.id }, as(bob)),
    );
    expect(member).toMatchObject({ status: 403, body: FORBIDDEN });
    const notMember = await expectAppendsNothing(server, () =>
      http.call('POST', `/api/workspaces/${ws.slug}/add_user/`, { user_id: outsider.user.id }, as(outsider)),
    );
    expect(notMember).toMatchObject({ status: 404, body: NOT_FOUND });
    const anon = await expectAppendsNothing(server, () =>
      http.call('POST', `/api/workspaces/${ws.slug}/add_user/`, { user_id: outsider.user.id }),
    );
    expect(anon.status).toBe(401);
  });

  it('given a default user in the workspace, then remove_user is 403 and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', `/api/workspaces/${ws.slug}/remove_user/`, { user_id: alice.user.id }, as(bob)),
    );
    expect(res).toMatchObject({ status: 403, body: FORBIDDEN });
  });

  it('given an admin, when it removes a user, then 200 with user_count down by one, and the user no longer sees it', async () => {
    const res = await http.call('POST', `/api/workspaces/${ws.slug}/remove_user/`, { user_id: bob.user.id }, as(admin));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: ws.id, user_count: 1 });
    expect((await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(bob))).status).toBe(404);
    const list = await http.call('GET', '/api/workspaces/', undefined, as(bob));
    expect(list.body.map((w: any) => w.id)).not.toContain(ws.id);
  });

  it('given a user who is not a member, when removed, then refused (400/404), user_count unchanged, and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', `/api/workspaces/${ws.slug}/remove_user/`, { user_id: bob.user.id }, as(admin)),
    );
    expect([400, 404]).toContain(res.status);
    expect((await http.call('GET', `/api/workspaces/${ws.slug}/`, undefined, as(admin))).body.user_count).toBe(1);
  });

  it('given remove_user without user_id, then 400 with field_errors.user_id, and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', `/api/workspaces/${ws.slug}/remove_user/`, {}, as(admin)),
    );
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.field_errors)).toEqual(['user_id']);
  });

  it('given a member whose account is deleted, then user_count drops by one, and removing that id afterwards never counts them twice', async () => {
    const target = await createWorkspace();
    const doomed = await registerAndLogin(http, { prefix: 'doomed' });
    await addUser(target.slug, doomed.user.id);
    await addUser(target.slug, alice.user.id);
    expect((await http.call('GET', `/api/workspaces/${target.slug}/`, undefined, as(admin))).body.user_count).toBe(2);

    const del = await http.call('DELETE', `/api/users/${doomed.user.id}/`, undefined, as(admin));
    expect([200, 204]).toContain(del.status);
    expect((await http.call('GET', `/api/workspaces/${target.slug}/`, undefined, as(admin))).body.user_count).toBe(1);

    // The deleted user is no member any more: removing them must not take the count below the real members.
    const remove = await http.call(
      'POST',
      `/api/workspaces/${target.slug}/remove_user/`,
      { user_id: doomed.user.id },
      as(admin),
    );
    const after = (await http.call('GET', `/api/workspaces/${target.slug}/`, undefined, as(admin))).body;
    expect({ remove: remove.status, user_count: after.user_count }).toEqual({
      remove: expect.any(Number),
      user_count: 1,
    });
  });
});

describe('threads: /api/workspaces/{slug}/threads/', () => {
  let ws: any;
  let other: any;
  /** Another default user in the same workspace. */
  let carol: Session;

  beforeAll(async () => {
    ws = await createWorkspace();
    other = await createWorkspace();
    carol = await registerAndLogin(http, { prefix: 'carol' });
    await addUser(ws.slug, alice.user.id);
    await addUser(ws.slug, carol.user.id);
  });

  it('given a member, when it opens a thread, then 201 {id, name, slug, workspace, user, created_at}', async () => {
    const res = await http.call('POST', `/api/workspaces/${ws.slug}/threads/`, { name: 'Budget questions' }, as(alice));
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(Number),
      name: 'Budget questions',
      slug: expect.stringMatching(/^budget-questions/),
      workspace: ws.id,
      user: alice.user.id,
      created_at: expect.stringMatching(ISO_UTC),
    });
  });

  it('given no name, then a thread with a default name', async () => {
    const res = await http.call('POST', `/api/workspaces/${ws.slug}/threads/`, {}, as(alice));
    expect(res.status).toBe(201);
    expect(res.body.name).toEqual(expect.any(String));
    expect(res.body.name.length).toBeGreaterThan(0);
  });

  it('given two threads of one name, then two slugs', async () => {
    const a = await createThread(ws.slug, alice, { name: 'Same' });
    const b = await createThread(ws.slug, carol, { name: 'Same' });
    expect(a.slug).not.toBe(b.slug);
  });

  it('given an admin who is not a member, then it may open a thread too', async () => {
    const res = await http.call('POST', `/api/workspaces/${ws.slug}/threads/`, { name: 'Admin thread' }, as(admin));
    expect(res.status).toBe(201);
    expect(res.body.user).toBe(admin.user.id);
  });

  it('given a default user not in the workspace, then 404 and nothing appended; no credentials, 401', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', `/api/workspaces/${ws.slug}/threads/`, { name: 'x' }, as(bob)),
    );
    expect(res).toMatchObject({ status: 404, body: NOT_FOUND });
    const list = await http.call('GET', `/api/workspaces/${ws.slug}/threads/`, undefined, as(bob));
    expect(list).toMatchObject({ status: 404, body: NOT_FOUND });
    const anon = await expectAppendsNothing(server, () =>
      http.call('POST', `/api/workspaces/${ws.slug}/threads/`, { name: 'x' }),
    );
    expect(anon).toMatchObject({ status: 401, body: NO_CREDENTIALS });
  });

  it.each([
    ['a blank name', { name: '  ' }],
    ['a name that is not a string', { name: 7 }],
    ['a name of 256 characters', { name: 'n'.repeat(256) }],
  ])('given %s, then 400 with field_errors.name, and nothing appended', async (_what, body) => {
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', `/api/workspaces/${ws.slug}/threads/`, body, as(alice)),
    );
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: expect.any(String), field_errors: { name: [expect.any(String)] } });
  });

  it('given threads, when a member lists them, then a plain array of them all; with limit, the envelope', async () => {
    const mine = await createThread(ws.slug, alice, { name: 'Listed' });
    const res = await http.call('GET', `/api/workspaces/${ws.slug}/threads/`, undefined, as(carol));
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    expect(res.body).toContainEqual(mine);
    for (const t of res.body) expect(t.workspace).toBe(ws.id);
    const paged = await http.call('GET', `/api/workspaces/${ws.slug}/threads/?limit=2`, undefined, as(carol));
    expect(paged.body).toEqual({
      count: res.body.length,
      next: expect.stringMatching(/^http:\/\/.*offset=2/),
      previous: null,
      results: res.body.slice(0, 2),
    });
  });

  it('given the owner, when it renames its thread, then 200 with the new name', async () => {
    const t = await createThread(ws.slug, alice, { name: 'Old name' });
    const res = await http.call(
      'PATCH',
      `/api/workspaces/${ws.slug}/threads/${t.id}/`,
      { name: 'New name' },
      as(alice),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: t.id, name: 'New name', workspace: ws.id, user: alice.user.id });
    const list = await http.call('GET', `/api/workspaces/${ws.slug}/threads/`, undefined, as(alice));
    expect(list.body.find((x: any) => x.id === t.id).name).toBe('New name');
  });

  it("given another default member, when it renames or deletes someone else's thread, then 403 and nothing appended", async () => {
    const t = await createThread(ws.slug, alice, { name: 'Mine' });
    const rename = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/workspaces/${ws.slug}/threads/${t.id}/`, { name: 'Stolen' }, as(carol)),
    );
    expect(rename).toMatchObject({ status: 403, body: FORBIDDEN });
    const del = await expectAppendsNothing(server, () =>
      http.call('DELETE', `/api/workspaces/${ws.slug}/threads/${t.id}/`, undefined, as(carol)),
    );
    expect(del).toMatchObject({ status: 403, body: FORBIDDEN });
  });

  it('given a default user not in the workspace, when it renames a thread there, then 404 and nothing appended', async () => {
    const t = await createThread(ws.slug, alice, { name: 'Private' });
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/workspaces/${ws.slug}/threads/${t.id}/`, { name: 'x' }, as(bob)),
    );
    expect(res).toMatchObject({ status: 404, body: NOT_FOUND });
  });

  it.each([
    ['an admin', () => admin],
    ['a manager', () => manager],
  ])("given %s, when it renames and deletes a member's thread, then 200 and 204", async (_who, who) => {
    const t = await createThread(ws.slug, alice, { name: 'Moderated' });
    const rename = await http.call(
      'PATCH',
      `/api/workspaces/${ws.slug}/threads/${t.id}/`,
      { name: 'Moderated!' },
      as(who()),
    );
    expect(rename.status).toBe(200);
    expect(rename.body.name).toBe('Moderated!');
    const del = await http.call('DELETE', `/api/workspaces/${ws.slug}/threads/${t.id}/`, undefined, as(who()));
    expect(del.status).toBe(204);
  });

  it('given the owner, when it deletes its thread, then 204 and the thread is gone; deleting again is 404', async () => {
    const t = await createThread(ws.slug, carol, { name: 'Short-lived' });
    const res = await http.call('DELETE', `/api/workspaces/${ws.slug}/threads/${t.id}/`, undefined, as(carol));
    expect(res.status).toBe(204);
    const list = await http.call('GET', `/api/workspaces/${ws.slug}/threads/`, undefined, as(carol));
    expect(list.body.map((x: any) => x.id)).not.toContain(t.id);
    const again = await expectAppendsNothing(server, () =>
      http.call('DELETE', `/api/workspaces/${ws.slug}/threads/${t.id}/`, undefined, as(carol)),
    );
    expect(again.status).toBe(404);
    const rename = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/workspaces/${ws.slug}/threads/${t.id}/`, { name: 'Back' }, as(carol)),
    );
    expect(rename.status).toBe(404);
  });

  it('given a thread of another workspace, when it is renamed or deleted through this one, then 404 and nothing appended', async () => {
    const t = await createThread(ws.slug, admin, { name: 'Elsewhere' });
    const rename = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/workspaces/${other.slug}/threads/${t.id}/`, { name: 'Moved' }, as(admin)),
    );
    expect(rename).toMatchObject({ status: 404, body: NOT_FOUND });
    const del = await expectAppendsNothing(server, () =>
      http.call('DELETE', `/api/workspaces/${other.slug}/threads/${t.id}/`, undefined, as(admin)),
    );
    expect(del).toMatchObject({ status: 404, body: NOT_FOUND });
    const list = await http.call('GET', `/api/workspaces/${other.slug}/threads/`, undefined, as(admin));
    expect(list.body.map((x: any) => x.id)).not.toContain(t.id);
  });

  it.each([
    ['an id that does not exist', '999999'],
    ['an id that is not an integer', 'abc'],
  ])('given %s, then PATCH and DELETE answer 404 and nothing appended', async (_what, id) => {
    const rename = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/workspaces/${ws.slug}/threads/${id}/`, { name: 'x' }, as(admin)),
    );
    expect(rename).toMatchObject({ status: 404, body: NOT_FOUND });
    const del = await expectAppendsNothing(server, () =>
      http.call('DELETE', `/api/workspaces/${ws.slug}/threads/${id}/`, undefined, as(admin)),
    );
    expect(del).toMatchObject({ status: 404, body: NOT_FOUND });
  });

  it('given a rename to a blank name, then 400 with field_errors.name, and nothing appended', async () => {
    const t = await createThread(ws.slug, alice, { name: 'Keep' });
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/workspaces/${ws.slug}/threads/${t.id}/`, { name: '' }, as(alice)),
    );
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.field_errors)).toEqual(['name']);
  });

  it('given a removed member, then its threads stay but it can no longer open one (404)', async () => {
    const t = await createThread(ws.slug, carol, { name: 'Before removal' });
    expect(
      (await http.call('POST', `/api/workspaces/${ws.slug}/remove_user/`, { user_id: carol.user.id }, as(admin)))
        .status,
    ).toBe(200);
    const res = await expectAppendsNothing(server, () =>
      http.call('POST', `/api/workspaces/${ws.slug}/threads/`, { name: 'After' }, as(carol)),
    );
    expect(res.status).toBe(404);
    const list = await http.call('GET', `/api/workspaces/${ws.slug}/threads/`, undefined, as(admin));
    expect(list.body.map((x: any) => x.id)).toContain(t.id);
  });

  it('given a thread with an Idempotency-Key, when retried, then the same thread, and nothing appended', async () => {
    const key = `thread-${uniqueName('k')}`;
    const first = await http.call(
      'POST',
      `/api/workspaces/${ws.slug}/threads/`,
      { name: 'Once' },
      { ...as(alice), 'Idempotency-Key': key },
    );
    expect(first.status).toBe(201);
    const before = await server.head();
    const second = await http.call(
      'POST',
      `/api/workspaces/${ws.slug}/threads/`,
      { name: 'Once' },
      { ...as(alice), 'Idempotency-Key': key },
    );
    expect(second.body).toEqual(first.body);
    expect(await appendedSince(server, before)).toEqual([]);
  });
});

describe('every answer of this suite', () => {
  it('holds no stack trace, no password hash, and no 5xx', () => {
    expect(http.leaks()).toEqual([]);
  });
});
