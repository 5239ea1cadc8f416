/**
 * Time travel over real HTTP: reads recorded after each of several writes are asked again later
 * `as_of` the instant and the position they were recorded at, over REST and GraphQL, and must answer
 * exactly what was answered then. Snapshots are taken every few events here, so the past states are
 * rebuilt across snapshot boundaries. Only admins may ask; a malformed moment is a 400.
 */
import { PAST_WORKSPACES } from '../../src/projections/time-travel/reads.js';
import type { PastReadStats } from '../../src/projections/time-travel/past-read-store.js';
import { SNAPSHOTS, snapshotCollection } from '../../src/projections/time-travel/snapshots.js';
import { expectAppendsNothing, recordingApi } from '../support/e2e.js';
import { uploadReadyDocument } from '../support/documents.js';
import { postSse } from '../support/sse.js';
import { bearer, registerAndLogin, type Session, startTestServer, type TestServer } from '../support/server.js';

const FORBIDDEN = { detail: 'You do not have permission to perform this action.' };
const SNAPSHOT_EVERY = 5;

let server: TestServer;
let http: ReturnType<typeof recordingApi>;
let admin: Session;
let alice: Session;
let workspace: { id: number; slug: string };
let threadId = 0;

const as = (s: Session) => bearer(s.access);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The REST reads time travel covers, as paths (without as_of) for the workspace and thread of the story. */
function restReads(): string[] {
  const ws = workspace ?? { id: 999, slug: 'not-yet' };
  return [
    '/api/users/',
    `/api/users/${alice.user.id}/`,
    '/api/workspaces/',
    `/api/workspaces/${ws.slug}/`,
    `/api/workspaces/${ws.slug}/threads/`,
    '/api/documents/',
    `/api/chats/history/?workspace_id=${ws.id}&thread_id=${threadId || 999}`,
    '/api/system/settings/',
    '/api/system/settings/custom_app_name/',
  ];
}

/** One query per root field: together they would pass the complexity limit. */
const GRAPHQL_READS = [
  `query Past($asOf: DateTimeISO) {
    workspaces(asOf: $asOf) { id slug name userCount documentCount users { id username } threads { id name } }
  }`,
  `query Past($asOf: DateTimeISO, $slug: String!) { workspace(slug: $slug, asOf: $asOf) { id name documents { id filename status } } }`,
  `query Past($asOf: DateTimeISO, $slug: String!) { threads(workspaceSlug: $slug, asOf: $asOf) { id name } }`,
  `query Past($asOf: DateTimeISO) { users(asOf: $asOf) { id username role } }`,
  `query Past($asOf: DateTimeISO, $ws: ID!) { documents(workspaceId: $ws, asOf: $asOf) { id filename status chunkCount } }`,
  `query Past($asOf: DateTimeISO) { settings(asOf: $asOf) { label value } }`,
  `query Past($asOf: DateTimeISO, $ws: ID!, $thread: ID) {
    chatHistory(workspaceId: $ws, threadId: $thread, asOf: $asOf) { id prompt response }
  }`,
];

/** Every GraphQL read, live or as of a moment; each answer made comparable. */
async function graphqlReads(asOf: string | null) {
  const answers = [];
  for (const query of GRAPHQL_READS) {
    const res = await http.call('POST', '/graphql', { query, variables: graphqlVariables(asOf) }, as(admin));
    answers.push(comparable(res.body));
  }
  return answers;
}

function graphqlVariables(asOf: string | null) {
  const ws = workspace ?? { id: 999, slug: 'not-yet' };
  return { asOf, slug: ws.slug, ws: String(ws.id), thread: threadId ? String(threadId) : '999' };
}

/** A GraphQL answer without what differs between two runs of the same read (messages' wording stays). */
const comparable = (body: any) => ({
  data: body.data,
  errors: (body.errors ?? []).map((e: any) => ({ path: e.path, code: e.extensions?.code })),
});

interface Recorded {
  instant: string;
  position: number;
  rest: { path: string; status: number; body: unknown }[];
  graphql: unknown[];
}
const recorded: Recorded[] = [];

/** Reads everything once the read models include every event (writes and what reactors append after them). */
async function record(): Promise<void> {
  for (;;) {
    const position = await server.head();
    await server.deps.progress.settle(position);
    const instant = new Date().toISOString();
    const rest = [];
    for (const path of restReads()) {
      const res = await http.call('GET', path, undefined, as(admin));
      rest.push({ path, status: res.status, body: res.body });
    }
    const graphql = await graphqlReads(null);
    // Recorded only if nothing was appended meanwhile (an ingestion finishing): else the answers may mix two states.
    if ((await server.head()) !== position) continue;
    recorded.push({ instant, position, rest, graphql });
    await sleep(3); // the next write's events are recorded after this instant
    return;
  }
}

const pathAsOf = (path: string, asOf: string) =>
  `${path}${path.includes('?') ? '&' : '?'}as_of=${encodeURIComponent(asOf)}`;

beforeAll(async () => {
  server = await startTestServer({ SNAPSHOT_EVERY: String(SNAPSHOT_EVERY), RATE_LIMIT_UPLOAD_PER_MIN: '1000' });
  http = recordingApi(server);
  admin = await registerAndLogin(http, { prefix: 'tt_admin' });
  alice = await registerAndLogin(http, { prefix: 'tt_alice' });
  await record();

  const created = await http.call('POST', '/api/workspaces/', { name: 'Atlas of Time' }, as(admin));
  expect(created.status).toBe(201);
  workspace = created.body;
  await record();

  expect(
    (await http.call('POST', `/api/workspaces/${workspace.slug}/add_user/`, { user_id: alice.user.id }, as(admin)))
      .status,
  ).toBe(200);
  const thread = await http.call('POST', `/api/workspaces/${workspace.slug}/threads/`, { name: 'Plans' }, as(alice));
  expect(thread.status).toBe(201);
  threadId = thread.body.id;
  await record();

  await uploadReadyDocument(server, admin.access, workspace.id, 'handbook.txt', 'Refunds are paid within 14 days.');
  await record();

  const chat = await postSse(
    `${server.url}/api/chats/stream_chat/`,
    { message: 'How long do refunds take?', workspace_slug: workspace.slug, thread_id: threadId, mode: 'chat' },
    as(alice),
  );
  expect(chat.status).toBe(200);
  await record();

  expect(
    (await http.call('PATCH', `/api/workspaces/${workspace.slug}/`, { name: 'Atlas Renamed' }, as(admin))).status,
  ).toBe(200);
  expect(
    (await http.call('PATCH', '/api/system/settings/custom_app_name/', { value: 'Chronicle Past' }, as(admin))).status,
  ).toBe(200);
  expect((await http.call('PATCH', `/api/users/${alice.user.id}/`, { role: 'manager' }, as(admin))).status).toBe(200);
  await record();

  expect(
    (await http.call('POST', `/api/workspaces/${workspace.slug}/remove_user/`, { user_id: alice.user.id }, as(admin)))
      .status,
  ).toBe(200);
  expect(
    (await http.call('DELETE', `/api/workspaces/${workspace.slug}/threads/${threadId}/`, undefined, as(admin))).status,
  ).toBe(204);
  await record();
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe('given reads recorded after each write', () => {
  it('the story crossed several snapshot boundaries, and the reads changed at each step', async () => {
    expect(recorded.length).toBe(7);
    expect(recorded[recorded.length - 1]!.position).toBeGreaterThan(3 * SNAPSHOT_EVERY);
    const distinct = new Set(recorded.map((r) => JSON.stringify(r.rest)));
    expect(distinct.size).toBe(recorded.length);
    const distinctGraphql = new Set(recorded.map((r) => JSON.stringify(r.graphql)));
    expect(distinctGraphql.size).toBe(recorded.length);
    // Once the workspace, its thread, document and chat existed, every query answered data, not a refusal.
    expect(recorded[4]!.graphql.every((a: any) => a.data && !a.errors.length)).toBe(true);
  });

  it('when asked as_of each recorded instant over REST, then every read answers what it answered then', async () => {
    for (const step of recorded) {
      for (const { path, status, body } of step.rest) {
        const res = await http.call('GET', pathAsOf(path, step.instant), undefined, as(admin));
        expect({ path, status: res.status, body: res.body }).toEqual({ path, status, body });
      }
    }
  });

  it('when asked as_of each recorded position over REST, then every read answers what it answered then', async () => {
    for (const step of recorded) {
      for (const { path, status, body } of step.rest) {
        const res = await http.call('GET', pathAsOf(path, `position:${step.position}`), undefined, as(admin));
        expect({ path, status: res.status, body: res.body }).toEqual({ path, status, body });
      }
    }
  });

  it('when asked asOf each recorded instant over GraphQL, then the queries and their nested fields answer what they answered then', async () => {
    for (const step of recorded) {
      expect(await graphqlReads(step.instant)).toEqual(step.graphql);
    }
  });

  it('when asked as of an instant before the first event, then reads answer the empty state', async () => {
    const at = (path: string) => http.call('GET', pathAsOf(path, '2000-01-01T00:00:00Z'), undefined, as(admin));
    expect((await at('/api/users/')).body).toEqual([]);
    expect((await at('/api/workspaces/')).body).toEqual([]);
    expect((await at('/api/documents/')).body).toEqual([]);
    expect((await at(`/api/workspaces/${workspace.slug}/`)).status).toBe(404);
    const settings = (await at('/api/system/settings/')).body as { label: string; updated_at: string | null }[];
    expect(settings.every((s) => s.updated_at === null)).toBe(true);
  });

  it('when asked as of a future instant or position, then reads answer the present', async () => {
    for (const asOf of ['2999-01-01T00:00:00Z', `position:${(await server.head()) + 1000}`]) {
      for (const path of restReads()) {
        const now = await http.call('GET', path, undefined, as(admin));
        const later = await http.call('GET', pathAsOf(path, asOf), undefined, as(admin));
        expect({ path, status: later.status, body: later.body }).toEqual({ path, status: now.status, body: now.body });
      }
    }
  });
});

describe('snapshots', () => {
  it('the projector took one every SNAPSHOT_EVERY events, holding the read models as they stood at its position', async () => {
    const snapshots = await server.deps.db.collection(SNAPSHOTS).find({}, { sort: { position: 1 } });
    expect(snapshots.length).toBeGreaterThanOrEqual(3);
    // The workspaces copy of a snapshot is what the workspace list answered as of its position.
    const snap = snapshots[snapshots.length - 1]!;
    const copied = await server.deps.db
      .collection(snapshotCollection(snap.position, 'workspaces'), { archive: true })
      .find({}, { sort: { id: 1 } });
    const listed = await http.call('GET', `/api/workspaces/?as_of=position:${snap.position}`, undefined, as(admin));
    expect(copied.map((w) => [w.id, w.name, w.user_count])).toEqual(
      (listed.body as any[]).map((w) => [w.id, w.name, w.user_count]),
    );
  });

  it('a past read starts from the nearest snapshot at or before its position and replays only what follows', async () => {
    const positions = (await server.deps.db.collection(SNAPSHOTS).find({})).map((s) => s.position as number);
    const target = recorded[recorded.length - 2]!.position;
    const nearest = Math.max(...positions.filter((p) => p <= target));
    let stats: PastReadStats | undefined;
    await server.deps.timeTravel.readStore(PAST_WORKSPACES, { position: target }, (s) => (stats = s));
    expect(stats!.snapshot).toBe(nearest);
    const replayable = (await server.deps.store.readAll({ after: nearest })).filter((e) => e.position <= target);
    expect(stats!.replayed).toBeLessThanOrEqual(replayable.length);
  });

  it('a past read answers from the snapshot: what the snapshot holds is what it shows', async () => {
    // Tampering with a snapshot's copy (never done by the product) shows through: the copy, not a full replay, is read.
    const positions = (await server.deps.db.collection(SNAPSHOTS).find({})).map((s) => s.position as number);
    const last = Math.max(...positions);
    const copy = server.deps.db.collection(snapshotCollection(last, 'workspaces'), { archive: true });
    const original = await copy.findOne({ _id: String(workspace.id) });
    expect(original).not.toBeNull();
    await copy.updateOne({ _id: String(workspace.id) }, { $set: { name: 'Written into the snapshot' } });
    try {
      const res = await http.call('GET', `/api/workspaces/?as_of=position:${last}`, undefined, as(admin));
      expect((res.body as any[]).find((w) => w.id === workspace.id).name).toBe('Written into the snapshot');
    } finally {
      await copy.updateOne({ _id: String(workspace.id) }, { $set: { name: original!.name } });
    }
  });
});

describe('who may ask, and how', () => {
  it('a user who is not an admin gets 403 on every read, and nothing is appended', async () => {
    const manager = alice; // promoted to manager in the story
    for (const path of restReads()) {
      const res = await expectAppendsNothing(server, () =>
        http.call('GET', pathAsOf(path, recorded[1]!.instant), undefined, as(manager)),
      );
      expect({ path, status: res.status, body: res.body }).toEqual({ path, status: 403, body: FORBIDDEN });
    }
  });

  it('over GraphQL a user who is not an admin gets FORBIDDEN', async () => {
    const res = await http.call(
      'POST',
      '/graphql',
      {
        query: 'query($asOf: DateTimeISO) { workspaces(asOf: $asOf) { id } }',
        variables: { asOf: recorded[1]!.instant },
      },
      as(alice),
    );
    expect(res.body.data).toBeNull();
    expect(res.body.errors.map((e: any) => e.extensions.code)).toEqual(['FORBIDDEN']);
  });

  it.each([
    'yesterday',
    '2024-05-01',
    '2024-05-01T12:00:00',
    'position:',
    'position:-3',
    'position:1.5',
    '2024-13-45T99:00:00Z',
    '',
  ])('a malformed as_of (%p) is a 400 naming the field, and nothing is appended', async (asOf) => {
    const res = await expectAppendsNothing(server, () =>
      http.call('GET', `/api/workspaces/?as_of=${encodeURIComponent(asOf)}`, undefined, as(admin)),
    );
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'Validation failed.', field_errors: { as_of: [expect.any(String)] } });
  });

  it('a malformed asOf over GraphQL is refused before any read', async () => {
    const res = await http.call(
      'POST',
      '/graphql',
      { query: 'query($asOf: DateTimeISO) { workspaces(asOf: $asOf) { id } }', variables: { asOf: 'yesterday' } },
      as(admin),
    );
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors.length).toBe(1);
  });

  it('no answer showed a stack trace or an internal error', () => {
    expect(http.leaks()).toEqual([]);
  });
});
