/**
 * The event history as an auditor reads it: after real requests, every event in the store carries
 * who did it, from where, and in answer to which request; and no event holds a secret.
 */
import { randomUUID } from 'node:crypto';
import { uniqueName, waitForNewResetToken } from '../support/e2e.js';
import { api, bearer, STRONG_PASSWORD, startTestServer, type TestServer } from '../support/server.js';
import type { RecordedEvent } from '../../src/infra/eventstore/port.js';

const ACTOR_TYPE = /^(user|api_key|embed|system)$/;
const WRONG_PASSWORD = 'Wrong-Password-5150';
const CHANGED_PASSWORD = 'Changed-Pass-Word-77';
const RESET_PASSWORD = 'Reset-Pass-Word-88';

interface Step {
  label: string;
  /** X-Request-Id sent, when one was. */
  sentRequestId: string | null;
  /** X-Request-Id the response carried. */
  answeredRequestId: string | null;
  userAgent: string;
  /** The actor the events should name (null: no one is authenticated and no user is concerned). */
  actorId: string | null | undefined;
  events: RecordedEvent[];
}

let server: TestServer;
const steps: Step[] = [];
/** Every secret that crossed the wire: no event may hold any of them. */
const secrets = new Set<string>([STRONG_PASSWORD, WRONG_PASSWORD, CHANGED_PASSWORD, RESET_PASSWORD]);
let admin: { id: number; username: string; access: string };
let bob: { id: number; username: string; email: string; access: string; refresh: string };

/** One request, with a User-Agent of its own and optionally an X-Request-Id; records what it appended. */
async function step(
  label: string,
  method: string,
  path: string,
  body: unknown,
  options: { headers?: Record<string, string>; requestId?: boolean; actorId?: string | null } = {},
) {
  const sentRequestId = options.requestId === false ? null : `req-${randomUUID()}`;
  const userAgent = `chronicle-e2e/${label.replace(/\s+/g, '-')}`;
  const before = await server.head();
  const res = await api(server, method, path, body, {
    'User-Agent': userAgent,
    ...(sentRequestId ? { 'X-Request-Id': sentRequestId } : {}),
    ...options.headers,
  });
  const events = await server.deps.store.readAll({ after: before });
  steps.push({
    label,
    sentRequestId,
    answeredRequestId: res.headers.get('x-request-id'),
    userAgent,
    actorId: options.actorId,
    events,
  });
  for (const value of [
    res.body?.access,
    res.body?.refresh,
    res.body?.data?.login?.access,
    res.body?.data?.login?.refresh,
  ]) {
    if (typeof value === 'string') secrets.add(value);
  }
  return res;
}

beforeAll(async () => {
  server = await startTestServer();

  const adminName = uniqueName('evadmin');
  const a = await step('register admin', 'POST', '/api/users/', {
    username: adminName,
    email: `${adminName}@example.com`,
    password: STRONG_PASSWORD,
    password_confirm: STRONG_PASSWORD,
  });
  expect(a.status).toBe(201);
  const al = await step(
    'login admin',
    'POST',
    '/api/auth/login/',
    { username: adminName, password: STRONG_PASSWORD },
    { actorId: String(a.body.id) },
  );
  expect(al.status).toBe(200);
  admin = { id: a.body.id, username: adminName, access: al.body.access };

  const bobName = uniqueName('evbob');
  const b = await step(
    'register bob without request id',
    'POST',
    '/api/users/',
    {
      username: bobName,
      email: `${bobName}@example.com`,
      password: STRONG_PASSWORD,
      password_confirm: STRONG_PASSWORD,
    },
    { requestId: false },
  );
  expect(b.status).toBe(201);
  const bid = String(b.body.id);
  const bl = await step(
    'login bob',
    'POST',
    '/api/auth/login/',
    { username: bobName, password: STRONG_PASSWORD },
    { actorId: bid },
  );
  expect(bl.status).toBe(200);
  bob = { id: b.body.id, username: bobName, email: b.body.email, access: bl.body.access, refresh: bl.body.refresh };

  expect(
    (
      await step(
        'failed login bob',
        'POST',
        '/api/auth/login/',
        { username: bobName, password: WRONG_PASSWORD },
        { actorId: bid },
      )
    ).status,
  ).toBe(401);
  expect(
    (
      await step(
        'failed login unknown',
        'POST',
        '/api/auth/login/',
        { username: uniqueName('ghost'), password: WRONG_PASSWORD },
        { actorId: null },
      )
    ).status,
  ).toBe(401);
  const refreshed = await step('refresh bob', 'POST', '/api/auth/refresh/', { refresh: bob.refresh }, { actorId: bid });
  expect(refreshed.status).toBe(200);
  expect(
    (await step('reuse refresh bob', 'POST', '/api/auth/refresh/', { refresh: bob.refresh }, { actorId: bid })).status,
  ).toBe(401);

  expect(
    (
      await step(
        'admin limits bob',
        'PATCH',
        `/api/users/${bid}/`,
        { daily_message_limit: 10 },
        { headers: bearer(admin.access), actorId: String(admin.id) },
      )
    ).status,
  ).toBe(200);
  expect(
    (
      await step(
        'admin renames app',
        'PATCH',
        '/api/system/settings/custom_app_name/',
        { value: 'Audit Trail' },
        { headers: bearer(admin.access), actorId: String(admin.id) },
      )
    ).status,
  ).toBe(200);

  const bl2 = await step(
    'login bob again',
    'POST',
    '/api/auth/login/',
    { username: bobName, password: STRONG_PASSWORD },
    { actorId: bid },
  );
  expect(
    (
      await step(
        'bob changes password',
        'POST',
        '/api/users/change_password/',
        { old_password: STRONG_PASSWORD, new_password: CHANGED_PASSWORD, new_password_confirm: CHANGED_PASSWORD },
        { headers: bearer(bl2.body.access), actorId: bid },
      )
    ).status,
  ).toBe(200);

  expect(
    (
      await step(
        'bob requests reset',
        'POST',
        '/api/users/request_password_reset/',
        { username: bobName },
        { actorId: bid },
      )
    ).status,
  ).toBe(200);
  const token = await waitForNewResetToken(server.dataDir, bob.email);
  secrets.add(token);
  expect(
    (
      await step(
        'bob resets password',
        'POST',
        '/api/users/reset_password/',
        { token, new_password: RESET_PASSWORD, new_password_confirm: RESET_PASSWORD },
        { actorId: bid },
      )
    ).status,
  ).toBe(200);

  const gqlLogin = await step(
    'graphql login bob',
    'POST',
    '/graphql',
    {
      query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { access refresh } }',
      variables: { u: bobName, p: RESET_PASSWORD },
    },
    { actorId: bid },
  );
  expect(gqlLogin.body.errors).toBeUndefined();
});

afterAll(async () => {
  await server?.close();
});

describe('event metadata', () => {
  it('given the requests above, then each of them appended events (sanity check of the setup)', () => {
    const silent = steps.filter((s) => s.events.length === 0).map((s) => s.label);
    expect(silent).toEqual([]);
  });

  it('then every event in the store carries actorId, actorType, correlationId, causationId, ip, userAgent and schemaVersion', async () => {
    const all = await server.deps.store.readAll();
    expect(all.length).toBeGreaterThan(20);
    for (const e of all) {
      expect({ event: `${e.streamName}:${e.type}`, metadata: e.metadata }).toEqual({
        event: `${e.streamName}:${e.type}`,
        metadata: {
          actorId: e.metadata.actorId === null ? null : expect.stringMatching(/^\d+$/),
          actorType: expect.stringMatching(ACTOR_TYPE),
          correlationId: expect.stringMatching(/\S/),
          causationId: expect.stringMatching(/\S/),
          ip: expect.stringMatching(/127\.0\.0\.1|::1/),
          userAgent: expect.stringMatching(/^chronicle-e2e\//),
          schemaVersion: expect.any(Number),
        },
      });
      expect(Number.isInteger(e.metadata.schemaVersion) && e.metadata.schemaVersion >= 1).toBe(true);
    }
  });

  it('given a request that sent X-Request-Id, then the response echoes it and its events carry it as correlationId', () => {
    for (const s of steps.filter((x) => x.sentRequestId)) {
      expect({ step: s.label, answered: s.answeredRequestId }).toEqual({ step: s.label, answered: s.sentRequestId });
      expect({ step: s.label, correlationIds: [...new Set(s.events.map((e) => e.metadata.correlationId))] }).toEqual({
        step: s.label,
        correlationIds: [s.sentRequestId],
      });
    }
  });

  it('given a request without X-Request-Id, then its events carry the id the response announced', () => {
    const s = steps.find((x) => x.label === 'register bob without request id')!;
    expect(s.answeredRequestId).toMatch(/\S/);
    expect([...new Set(s.events.map((e) => e.metadata.correlationId))]).toEqual([s.answeredRequestId]);
  });

  it('then the events of one request share one causationId, and different requests have different ones', () => {
    const perStep = steps.map((s) => ({
      step: s.label,
      causationIds: [...new Set(s.events.map((e) => e.metadata.causationId))],
    }));
    for (const p of perStep) expect({ step: p.step, count: p.causationIds.length }).toEqual({ step: p.step, count: 1 });
    const all = perStep.map((p) => p.causationIds[0]);
    expect(new Set(all).size).toBe(all.length);
  });

  it('then each event names the client it came from (userAgent) and the actor it acted for', () => {
    for (const s of steps) {
      for (const e of s.events) {
        const where = `${s.label} → ${e.streamName}:${e.type}`;
        expect({ where, userAgent: e.metadata.userAgent }).toEqual({ where, userAgent: s.userAgent });
        if (s.actorId !== undefined) {
          expect({ where, actorId: e.metadata.actorId, actorType: e.metadata.actorType }).toEqual({
            where,
            actorId: s.actorId,
            actorType: 'user',
          });
        }
      }
    }
  });
});

describe('no secrets in events', () => {
  const secretsIn = (events: RecordedEvent[], candidates: Iterable<string>) => {
    const found: string[] = [];
    for (const e of events) {
      const text = JSON.stringify({ data: e.data, metadata: e.metadata });
      for (const secret of candidates)
        if (text.includes(secret)) found.push(`${e.streamName}:${e.type} holds "${secret.slice(0, 24)}"`);
    }
    return found;
  };

  it('then no event data or metadata holds a plaintext password, a JWT or a reset token', async () => {
    expect(secrets.size).toBeGreaterThan(8);
    expect(secretsIn(await server.deps.store.readAll(), secrets)).toEqual([]);
  });

  it('then every password-like field holds an argon2 hash, never the password', async () => {
    const offending: string[] = [];
    const walk = (where: string, value: unknown) => {
      if (!value || typeof value !== 'object') return;
      for (const [k, v] of Object.entries(value)) {
        if (/password/i.test(k) && !(typeof v === 'string' && v.startsWith('$argon2'))) offending.push(`${where}.${k}`);
        walk(`${where}.${k}`, v);
      }
    };
    for (const e of await server.deps.store.readAll()) walk(`${e.streamName}:${e.type}`, e.data);
    expect(offending).toEqual([]);
  });

  it('given a registration sent with an Idempotency-Key, then its events do not hold the password either', async () => {
    const username = uniqueName('evidem');
    const password = `Idem-${randomUUID()}`;
    const before = await server.head();
    const res = await api(
      server,
      'POST',
      '/api/users/',
      { username, email: `${username}@example.com`, password, password_confirm: password },
      { 'Idempotency-Key': `key-${randomUUID()}` },
    );
    expect(res.status).toBe(201);
    expect(secretsIn(await server.deps.store.readAll({ after: before }), [password])).toEqual([]);
  });

  it('given a password reset requested through GraphQL, then the mailed token is in no event', async () => {
    const res = await api(server, 'POST', '/graphql', {
      query: 'mutation($u: String!) { requestPasswordReset(username: $u) }',
      variables: { u: bob.username },
    });
    expect(res.body).toEqual({ data: { requestPasswordReset: true } });
    const token = await waitForNewResetToken(server.dataDir, bob.email, [...secrets]);
    expect(secretsIn(await server.deps.store.readAll(), [token])).toEqual([]);
  });
});
