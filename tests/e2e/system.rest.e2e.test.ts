/**
 * The System Settings App (spec/api.md): status, setup state, settings by label and the event logs
 * read from the event stream, over real HTTP against a real server (embedded adapters, temporary
 * DATA_DIR). Rejected requests are checked to append nothing.
 */
import os from 'node:os';
import { appendedSince, expectAppendsNothing, recordingApi, uniqueName } from '../support/e2e.js';
import {
  bearer,
  registerAndLogin,
  type Session,
  STRONG_PASSWORD,
  startTestServer,
  type TestServer,
} from '../support/server.js';

const NO_CREDENTIALS = { detail: 'Authentication credentials were not provided.' };
const FORBIDDEN = { detail: 'You do not have permission to perform this action.' };
const NOT_FOUND = { detail: 'Not found.' };
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const WRONG_PASSWORD = 'Wrong-Password-5150';
/** Event types of the write side's own bookkeeping streams (sequence, reservation, idempotency). */
const BOOKKEEPING_STREAM = /^(sequence|username|email|slug|idempotency|bootstrap|invitecode|apikeyhash)-/;
const SETTING_LABELS = [
  'custom_app_name',
  'support_email',
  'footer_data',
  'default_system_prompt',
  'text_splitter_chunk_size',
  'text_splitter_chunk_overlap',
  'allow_registration',
  'llm_provider',
];

let server: TestServer;
let http: ReturnType<typeof recordingApi>;
/** What GET /api/system/setup-complete/ answered before anyone registered. */
let setupBeforeAnyone: { status: number; body: any };
let admin: Session;
let manager: Session;
let member: Session;
/** Every secret that crossed the wire: no event-log entry may hold one. */
const secrets = new Set<string>([STRONG_PASSWORD, WRONG_PASSWORD]);

const as = (s: Session) => bearer(s.access);

/** Registers a user with a fresh name and keeps its tokens among the secrets no log may hold. */
async function signUp(prefix: string): Promise<Session> {
  const session = await registerAndLogin(http, { prefix });
  secrets.add(session.access);
  secrets.add(session.refresh);
  return session;
}

async function logs(query = '') {
  const res = await http.call('GET', `/api/system/event-logs/${query ? `?${query}` : ''}`, undefined, as(admin));
  expect(res.status).toBe(200);
  return res.body;
}

const tick = () => new Promise((r) => setTimeout(r, 15));

beforeAll(async () => {
  server = await startTestServer();
  http = recordingApi(server);
  setupBeforeAnyone = await http.call('GET', '/api/system/setup-complete/');
  admin = await signUp('sysadmin');
  manager = await signUp('sysmgr');
  const promoted = await http.call('PATCH', `/api/users/${manager.user.id}/`, { role: 'manager' }, as(admin));
  if (promoted.status !== 200) throw new Error(`promote: ${promoted.status}`);
  member = await signUp('sysuser');
});

afterAll(async () => {
  await server?.close();
});

describe('GET /api/system/setup-complete/ (public)', () => {
  it('given a fresh server with no users, then setup_complete is false', () => {
    expect(setupBeforeAnyone.status).toBe(200);
    expect(setupBeforeAnyone.body).toMatchObject({ setup_complete: false });
  });

  it('given the first registration, then setup_complete is true, without credentials', async () => {
    const res = await http.call('GET', '/api/system/setup-complete/');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ setup_complete: true, multi_user_mode: true, allow_registration: true });
  });

  it('given a request for it, then nothing is appended', async () => {
    await expectAppendsNothing(server, () => http.call('GET', '/api/system/setup-complete/'));
  });
});

describe('GET /api/system/status/', () => {
  it("given an admin, then the spec's shape with real host figures, store health, projection lag, version and environment", async () => {
    const res = await http.call('GET', '/api/system/status/', undefined, as(admin));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'online',
      version: expect.any(String),
      environment: expect.any(String),
      system: {
        platform: expect.any(String),
        cpu_percent: expect.any(Number),
        memory: { total: expect.any(Number), percent: expect.any(Number) },
      },
      database: { status: 'healthy' },
      projections: { lag_ms: expect.any(Number) },
      settings: { multi_user_mode: true, llm_provider: expect.any(String) },
    });
    const { system, projections, database } = res.body;
    expect(res.body.version.length).toBeGreaterThan(0);
    expect(res.body.environment.length).toBeGreaterThan(0);
    expect(system.cpu_percent).toBeGreaterThanOrEqual(0);
    expect(system.cpu_percent).toBeLessThanOrEqual(100);
    // Real figures of this machine, not placeholders.
    expect(system.memory.total).toBeGreaterThan(0);
    expect(system.memory.total).toBe(os.totalmem());
    expect(system.memory.percent).toBeGreaterThan(0);
    expect(system.memory.percent).toBeLessThanOrEqual(100);
    expect(projections.lag_ms).toBeGreaterThanOrEqual(0);
    expect(Number.isInteger(projections.lag_ms)).toBe(true);
    expect(database).toMatchObject({ event_store: 'healthy', read_store: 'healthy' });
  });

  it('given the llm_provider setting changes, then status shows the new provider', async () => {
    expect(
      (await http.call('PATCH', '/api/system/settings/llm_provider/', { value: 'anthropic' }, as(admin))).status,
    ).toBe(200);
    const res = await http.call('GET', '/api/system/status/', undefined, as(admin));
    expect(res.body.settings.llm_provider).toBe('anthropic');
    expect(
      (await http.call('PATCH', '/api/system/settings/llm_provider/', { value: 'extractive' }, as(admin))).status,
    ).toBe(200);
  });

  it.each([
    ['a manager', () => manager],
    ['a default user', () => member],
  ])('given %s, then 403', async (_who, who) => {
    const res = await http.call('GET', '/api/system/status/', undefined, as(who()));
    expect(res).toMatchObject({ status: 403, body: FORBIDDEN });
  });

  it('given no credentials, then 401', async () => {
    const res = await http.call('GET', '/api/system/status/');
    expect(res).toMatchObject({ status: 401, body: NO_CREDENTIALS });
  });
});

describe('settings: GET /api/system/settings/ and PATCH /api/system/settings/{label}/', () => {
  it('given an admin, then every label with its value and updated_at', async () => {
    const res = await http.call('GET', '/api/system/settings/', undefined, as(admin));
    expect(res.status).toBe(200);
    expect(res.body.map((s: any) => s.label)).toEqual(expect.arrayContaining(SETTING_LABELS));
    for (const s of res.body) expect(Object.keys(s).sort()).toEqual(['label', 'updated_at', 'value']);
    const byLabel = Object.fromEntries(res.body.map((s: any) => [s.label, s.value]));
    expect(byLabel).toMatchObject({
      custom_app_name: expect.any(String),
      text_splitter_chunk_size: expect.any(Number),
      text_splitter_chunk_overlap: expect.any(Number),
      allow_registration: true,
    });
    expect(byLabel.text_splitter_chunk_overlap).toBeLessThan(byLabel.text_splitter_chunk_size);
  });

  it.each([
    ['a manager', () => manager],
    ['a default user', () => member],
  ])('given %s, then listing is 403 and changing is 403 with nothing appended', async (_who, who) => {
    const list = await http.call('GET', '/api/system/settings/', undefined, as(who()));
    expect(list).toMatchObject({ status: 403, body: FORBIDDEN });
    const patch = await expectAppendsNothing(server, () =>
      http.call('PATCH', '/api/system/settings/custom_app_name/', { value: 'Hijacked' }, as(who())),
    );
    expect(patch).toMatchObject({ status: 403, body: FORBIDDEN });
  });

  it('given no credentials, then 401 and nothing appended', async () => {
    expect((await http.call('GET', '/api/system/settings/')).status).toBe(401);
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', '/api/system/settings/custom_app_name/', { value: 'x' }),
    );
    expect(res).toMatchObject({ status: 401, body: NO_CREDENTIALS });
  });

  it('given an unknown label, then 404 and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', '/api/system/settings/no_such_setting/', { value: 'x' }, as(admin)),
    );
    expect(res).toMatchObject({ status: 404, body: NOT_FOUND });
  });

  it.each([
    ['custom_app_name', 'Acme Chat'],
    ['support_email', 'help@acme.example'],
    ['support_email', ''],
    ['footer_data', '[{"name":"Docs","url":"https://docs.example"}]'],
    ['default_system_prompt', 'Answer only from the documents.'],
    ['text_splitter_chunk_size', 100],
    ['text_splitter_chunk_size', 8000],
    ['text_splitter_chunk_size', 1200],
    ['text_splitter_chunk_overlap', 0],
    ['text_splitter_chunk_overlap', 1199],
    ['text_splitter_chunk_overlap', 50],
    ['allow_registration', false],
    ['allow_registration', true],
    ['llm_provider', 'openai'],
    ['llm_provider', 'extractive'],
  ])('given %s = %j, then 200 {label, value, updated_at} and the list shows it', async (label, value) => {
    const res = await http.call('PATCH', `/api/system/settings/${label}/`, { value }, as(admin));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ label, value, updated_at: expect.stringMatching(ISO_UTC) });
    const list = await http.call('GET', '/api/system/settings/', undefined, as(admin));
    expect(list.body.find((s: any) => s.label === label)).toEqual(res.body);
  });

  it.each([
    ['custom_app_name', 42],
    ['custom_app_name', 'x'.repeat(101)],
    ['support_email', 'not-an-email'],
    ['footer_data', { links: [] }],
    ['default_system_prompt', null],
    ['text_splitter_chunk_size', 99],
    ['text_splitter_chunk_size', 8001],
    ['text_splitter_chunk_size', 500.5],
    ['text_splitter_chunk_size', '1000'],
    ['text_splitter_chunk_overlap', -1],
    ['text_splitter_chunk_overlap', 2.5],
    ['text_splitter_chunk_overlap', 1200],
    ['text_splitter_chunk_overlap', 5000],
    ['allow_registration', 'yes'],
    ['allow_registration', 1],
    ['llm_provider', 'skynet'],
  ])('given %s = %j, then 400 with field_errors.value, and nothing appended', async (label, value) => {
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', `/api/system/settings/${label}/`, { value }, as(admin)),
    );
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: expect.any(String), field_errors: { value: [expect.any(String)] } });
  });

  it('given no value at all, then 400 with field_errors.value, and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', '/api/system/settings/custom_app_name/', {}, as(admin)),
    );
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.field_errors)).toEqual(['value']);
  });

  it('given the current value again, then 200 and nothing appended', async () => {
    const list = await http.call('GET', '/api/system/settings/', undefined, as(admin));
    const current = list.body.find((s: any) => s.label === 'custom_app_name');
    const res = await expectAppendsNothing(server, () =>
      http.call('PATCH', '/api/system/settings/custom_app_name/', { value: current.value }, as(admin)),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual(current);
  });

  it('given custom_app_name changes, then setup-complete shows it', async () => {
    const name = `Chronicle ${uniqueName('app')}`;
    expect((await http.call('PATCH', '/api/system/settings/custom_app_name/', { value: name }, as(admin))).status).toBe(
      200,
    );
    const res = await http.call('GET', '/api/system/setup-complete/');
    expect(res.body.custom_app_name).toBe(name);
  });

  it('given allow_registration false, then open registration is 403 with nothing appended, and true opens it again', async () => {
    expect(
      (await http.call('PATCH', '/api/system/settings/allow_registration/', { value: false }, as(admin))).status,
    ).toBe(200);
    try {
      const username = uniqueName('closed');
      const res = await expectAppendsNothing(server, () =>
        http.call('POST', '/api/users/', {
          username,
          email: `${username}@example.com`,
          password: STRONG_PASSWORD,
          password_confirm: STRONG_PASSWORD,
        }),
      );
      expect(res).toMatchObject({ status: 403, body: FORBIDDEN });
      expect((await http.call('GET', '/api/system/setup-complete/')).body.allow_registration).toBe(false);
    } finally {
      expect(
        (await http.call('PATCH', '/api/system/settings/allow_registration/', { value: true }, as(admin))).status,
      ).toBe(200);
    }
    const username = uniqueName('open');
    const res = await http.call('POST', '/api/users/', {
      username,
      email: `${username}@example.com`,
      password: STRONG_PASSWORD,
      password_confirm: STRONG_PASSWORD,
    });
    expect(res.status).toBe(201);
  });

  describe('the chunk overlap stays below the chunk size', () => {
    afterAll(async () => {
      // Back to the defaults, overlap first so every step is valid.
      await http.call('PATCH', '/api/system/settings/text_splitter_chunk_overlap/', { value: 20 }, as(admin));
      await http.call('PATCH', '/api/system/settings/text_splitter_chunk_size/', { value: 1000 }, as(admin));
      await http.call('PATCH', '/api/system/settings/text_splitter_chunk_overlap/', { value: 20 }, as(admin));
    });

    it('given a chunk size of 500, then an overlap of 499 is accepted and 500 refused (400, nothing appended)', async () => {
      expect(
        (await http.call('PATCH', '/api/system/settings/text_splitter_chunk_size/', { value: 500 }, as(admin))).status,
      ).toBe(200);
      expect(
        (await http.call('PATCH', '/api/system/settings/text_splitter_chunk_overlap/', { value: 499 }, as(admin)))
          .status,
      ).toBe(200);
      const res = await expectAppendsNothing(server, () =>
        http.call('PATCH', '/api/system/settings/text_splitter_chunk_overlap/', { value: 500 }, as(admin)),
      );
      expect(res.status).toBe(400);
      expect(Object.keys(res.body.field_errors)).toEqual(['value']);
    });

    it('given an overlap of 499, when the chunk size is set to 400 (below the overlap), then 400 and nothing appended', async () => {
      const res = await expectAppendsNothing(server, () =>
        http.call('PATCH', '/api/system/settings/text_splitter_chunk_size/', { value: 400 }, as(admin)),
      );
      expect(res.status).toBe(400);
      const list = await http.call('GET', '/api/system/settings/', undefined, as(admin));
      const byLabel = Object.fromEntries(list.body.map((s: any) => [s.label, s.value]));
      expect(byLabel.text_splitter_chunk_overlap).toBeLessThan(byLabel.text_splitter_chunk_size);
    });
  });
});

describe('GET /api/system/event-logs/', () => {
  /** An instant before the actions below, and one between the two batches. */
  let start: string;
  let between: string;
  let workspace: any;
  let ghost: string;

  beforeAll(async () => {
    await tick();
    start = new Date().toISOString();
    await tick();
    // First batch: logins, a failed login of each kind, a workspace with a prompt change, a thread.
    await http.call('POST', '/api/auth/login/', { username: member.user.username, password: WRONG_PASSWORD });
    ghost = uniqueName('ghost');
    await http.call('POST', '/api/auth/login/', { username: ghost, password: WRONG_PASSWORD });
    const login = await http.call('POST', '/api/auth/login/', {
      username: member.user.username,
      password: STRONG_PASSWORD,
    });
    secrets.add(login.body.access);
    secrets.add(login.body.refresh);
    const created = await http.call(
      'POST',
      '/api/workspaces/',
      { name: `Logged ${uniqueName('w')}`, openai_prompt: 'First prompt.' },
      as(admin),
    );
    expect(created.status).toBe(201);
    workspace = created.body;
    expect(
      (
        await http.call(
          'PATCH',
          `/api/workspaces/${workspace.slug}/`,
          { openai_prompt: 'Second prompt.', top_n: 8 },
          as(admin),
        )
      ).status,
    ).toBe(200);
    expect(
      (await http.call('POST', `/api/workspaces/${workspace.slug}/add_user/`, { user_id: member.user.id }, as(admin)))
        .status,
    ).toBe(200);
    expect(
      (await http.call('POST', `/api/workspaces/${workspace.slug}/threads/`, { name: 'Logged thread' }, as(member)))
        .status,
    ).toBe(201);
    await tick();
    between = new Date().toISOString();
    await tick();
    // Second batch.
    expect(
      (await http.call('POST', '/api/workspaces/', { name: `Later ${uniqueName('w')}` }, as(manager))).status,
    ).toBe(201);
    const later = await http.call('POST', '/api/auth/login/', {
      username: admin.user.username,
      password: STRONG_PASSWORD,
    });
    secrets.add(later.body.access);
    secrets.add(later.body.refresh);
  });

  it('given no credentials, then 401', async () => {
    const res = await http.call('GET', '/api/system/event-logs/');
    expect(res).toMatchObject({ status: 401, body: NO_CREDENTIALS });
  });

  it.each([
    ['a manager', () => manager],
    ['a default user', () => member],
  ])('given %s, then 403', async (_who, who) => {
    const res = await http.call('GET', '/api/system/event-logs/', undefined, as(who()));
    expect(res).toMatchObject({ status: 403, body: FORBIDDEN });
  });

  it('given an admin, then entries {id, event, metadata, user_id, occurred_at}, newest first, ids increasing integers', async () => {
    const entries = await logs();
    expect(Array.isArray(entries)).toBe(true);
    expect(entries.length).toBeGreaterThan(10);
    for (const e of entries) {
      expect(e).toEqual({
        id: expect.any(Number),
        event: expect.stringMatching(/^[a-z0-9_]+$/),
        metadata: expect.any(Object),
        user_id: e.user_id === null ? null : expect.any(Number),
        occurred_at: expect.stringMatching(ISO_UTC),
      });
      expect(Number.isInteger(e.id)).toBe(true);
    }
    for (let i = 1; i < entries.length; i++) {
      expect(entries[i - 1].id).toBeGreaterThan(entries[i].id);
      expect(entries[i - 1].occurred_at >= entries[i].occurred_at).toBe(true);
    }
  });

  it('then each id is the global position of its event in the store, and every domain event of the store is in the log', async () => {
    const entries = await logs('limit=1000');
    const events = await server.deps.store.readAll({ after: 0 });
    const byPosition = new Map(events.map((e) => [e.position, e]));
    for (const entry of entries.results) {
      const event = byPosition.get(entry.id);
      expect({ id: entry.id, found: !!event }).toEqual({ id: entry.id, found: true });
      expect(event!.createdAt.toISOString()).toBe(entry.occurred_at);
    }
    const logged = new Set(entries.results.map((e: any) => e.id));
    const domain = events.filter((e) => !BOOKKEEPING_STREAM.test(e.streamName));
    const missing = domain.filter((e) => !logged.has(e.position)).map((e) => `${e.position} ${e.streamName}:${e.type}`);
    expect(missing).toEqual([]);
    expect(entries.count).toBe(domain.length);
  });

  it('then no bookkeeping event (sequence, reservation, idempotency streams) ever appears', async () => {
    const entries = (await logs('limit=1000')).results;
    const events = await server.deps.store.readAll({ after: 0 });
    const bookkeeping = events.filter((e) => BOOKKEEPING_STREAM.test(e.streamName));
    expect(bookkeeping.length).toBeGreaterThan(0); // there is some to leave out
    const positions = new Set(bookkeeping.map((e) => e.position));
    expect(entries.filter((e: any) => positions.has(e.id))).toEqual([]);
    const names = new Set(entries.map((e: any) => e.event));
    for (const name of ['id_allocated', 'reserved', 'released', 'command_completed'])
      expect(names.has(name)).toBe(false);
  });

  it('given a successful login, then login_event for that user', async () => {
    const entries = await logs(`event=login_event&user_id=${member.user.id}&from_date=${encodeURIComponent(start)}`);
    expect(entries.length).toBeGreaterThanOrEqual(1);
    for (const e of entries) expect(e).toMatchObject({ event: 'login_event', user_id: member.user.id });
  });

  it('given a wrong password, then failed_login_invalid_password attributed to the user', async () => {
    const entries = await logs(`event=failed_login_invalid_password&from_date=${encodeURIComponent(start)}`);
    expect(entries).toEqual([
      expect.objectContaining({ event: 'failed_login_invalid_password', user_id: member.user.id }),
    ]);
  });

  it('given an unknown username, then failed_login_invalid_username with a keyed digest of the name tried, never the name', async () => {
    const entries = await logs(`event=failed_login_invalid_username&from_date=${encodeURIComponent(start)}`);
    expect(entries).toHaveLength(1);
    expect(entries[0].event).toBe('failed_login_invalid_username');
    expect(entries[0].metadata.username_digest).toBe(server.deps.tokens.attemptedUsernameDigest(ghost.toUpperCase()));
    expect(JSON.stringify(entries[0].metadata)).not.toContain(ghost);
  });

  it('given a workspace created, then workspace_created by its creator', async () => {
    const entries = await logs(
      `event=workspace_created&from_date=${encodeURIComponent(start)}&to_date=${encodeURIComponent(between)}`,
    );
    expect(entries).toEqual([
      expect.objectContaining({
        event: 'workspace_created',
        user_id: admin.user.id,
        metadata: expect.objectContaining({ workspace_id: workspace.id, name: workspace.name }),
      }),
    ]);
  });

  it('given a prompt change, then workspace_prompt_changed alongside workspace_updated, one position apart', async () => {
    const updated = (await logs('event=workspace_updated&limit=1000')).results.filter(
      (e: any) => e.metadata.workspace_id === workspace.id,
    );
    const prompt = (await logs('event=workspace_prompt_changed&limit=1000')).results.filter(
      (e: any) => e.metadata.workspace_id === workspace.id,
    );
    expect(updated).toHaveLength(1);
    expect(prompt).toHaveLength(1);
    expect(prompt[0].id).toBe(updated[0].id + 1);
    expect(prompt[0]).toMatchObject({ user_id: admin.user.id, occurred_at: updated[0].occurred_at });
    expect(JSON.stringify(prompt[0].metadata)).toContain('Second prompt.');
  });

  it('given a change to a setting, then an entry for it naming the label and the value', async () => {
    const since = new Date().toISOString();
    await tick();
    expect(
      (await http.call('PATCH', '/api/system/settings/footer_data/', { value: `footer ${uniqueName('f')}` }, as(admin)))
        .status,
    ).toBe(200);
    const entries = await logs(`from_date=${encodeURIComponent(since)}`);
    expect(entries).toEqual([
      expect.objectContaining({ user_id: admin.user.id, metadata: expect.objectContaining({ label: 'footer_data' }) }),
    ]);
  });

  it("given a thread opened, then it is logged under AnythingLLM's name workspace_thread_created", async () => {
    const entries = await logs(
      `from_date=${encodeURIComponent(start)}&to_date=${encodeURIComponent(between)}&user_id=${member.user.id}`,
    );
    const names = entries.map((e: any) => e.event);
    expect(names).toContain('workspace_thread_created');
  });

  it('given event, then only entries of that name', async () => {
    const entries = await logs('event=workspace_created');
    expect(entries.length).toBeGreaterThanOrEqual(2);
    for (const e of entries) expect(e.event).toBe('workspace_created');
    expect(await logs(`event=no_such_event_${uniqueName('e')}`)).toEqual([]);
  });

  it('given user_id, then only entries of that user', async () => {
    const entries = await logs(`user_id=${manager.user.id}`);
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect(e.user_id).toBe(manager.user.id);
  });

  it('given from_date and to_date, then only entries between them', async () => {
    const first = await logs(`from_date=${encodeURIComponent(start)}&to_date=${encodeURIComponent(between)}`);
    const second = await logs(`from_date=${encodeURIComponent(between)}`);
    expect(first.length).toBeGreaterThan(0);
    for (const e of first) {
      expect(e.occurred_at >= start).toBe(true);
      expect(e.occurred_at <= between).toBe(true);
    }
    expect(first.map((e: any) => e.event)).toEqual(
      expect.arrayContaining(['failed_login_invalid_password', 'workspace_created', 'workspace_updated']),
    );
    expect(second.map((e: any) => e.event)).toEqual(expect.arrayContaining(['workspace_created', 'login_event']));
    const firstIds = new Set(first.map((e: any) => e.id));
    expect(second.filter((e: any) => firstIds.has(e.id))).toEqual([]);
    const before = await logs(`to_date=${encodeURIComponent(start)}`);
    for (const e of before) expect(e.occurred_at <= start).toBe(true);
    expect(before.filter((e: any) => firstIds.has(e.id))).toEqual([]);
  });

  it('given a date without a time, then it is accepted', async () => {
    expect((await logs('from_date=2024-01-01')).length).toBeGreaterThan(0);
    expect(await logs('to_date=2000-01-01')).toEqual([]);
  });

  it('given event, user_id and from_date together (the spec example), then all three apply', async () => {
    const entries = await logs(`event=login_event&user_id=${admin.user.id}&from_date=${encodeURIComponent(start)}`);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ event: 'login_event', user_id: admin.user.id });
    expect(entries[0].occurred_at >= between).toBe(true);
  });

  it.each([
    ['from_date=not-a-date', 'from_date'],
    ['to_date=31/12/2024x', 'to_date'],
    ['user_id=abc', 'user_id'],
    ['limit=0', 'limit'],
  ])('given %s, then 400 with field_errors.%s', async (query, field) => {
    const res = await http.call('GET', `/api/system/event-logs/?${query}`, undefined, as(admin));
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.field_errors)).toEqual([field]);
  });

  it('given limit and offset, then {count, next, previous, results}; the pages follow each other without overlap', async () => {
    const all = await logs(`from_date=${encodeURIComponent(start)}`);
    const first = await logs(`from_date=${encodeURIComponent(start)}&limit=3`);
    expect(first).toEqual({
      count: all.length,
      next: expect.stringMatching(/^http:\/\/.*offset=3/),
      previous: null,
      results: all.slice(0, 3),
    });
    const nextPath = first.next.slice(first.next.indexOf('/api/'));
    const second = await http.call('GET', nextPath, undefined, as(admin));
    expect(second.body).toEqual({
      count: all.length,
      next: all.length > 6 ? expect.stringMatching(/^http:\/\//) : null,
      previous: expect.stringMatching(/^http:\/\//),
      results: all.slice(3, 6),
    });
    expect(second.body.previous).toContain('from_date=');
  });

  it('then no entry holds a password, a hash, a token or any other secret', async () => {
    const entries = (await logs('limit=1000')).results;
    const text = JSON.stringify(entries);
    expect(text).not.toContain('$argon2');
    for (const secret of secrets)
      expect(text.includes(secret) ? `leaks ${secret.slice(0, 12)}…` : 'clean').toBe('clean');
    const keys: string[] = [];
    const walk = (value: unknown) => {
      if (!value || typeof value !== 'object') return;
      for (const [k, v] of Object.entries(value)) {
        keys.push(k);
        walk(v);
      }
    };
    for (const e of entries) walk(e.metadata);
    expect(keys.filter((k) => /password|hash|secret/i.test(k))).toEqual([]);
  });

  it('then reading the event logs appends nothing', async () => {
    await expectAppendsNothing(server, () => http.call('GET', '/api/system/event-logs/?limit=5', undefined, as(admin)));
  });
});

describe('every answer of this suite', () => {
  it('holds no stack trace, no password hash, and no 5xx', async () => {
    expect(http.leaks()).toEqual([]);
    // Sanity: the suite did write events, so the no-append checks above were meaningful.
    expect((await appendedSince(server, 0)).length).toBeGreaterThan(0);
  });
});
