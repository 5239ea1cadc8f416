import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { updateUser } from '../../src/commands/identity/admin.js';
import { registerUser } from '../../src/commands/identity/register.js';
import { DomainError } from '../../src/domain/shared/errors.js';
import { withIdempotency } from '../../src/commands/shared/idempotency.js';
import { reserve } from '../../src/commands/shared/reservation.js';
import { nextId } from '../../src/commands/shared/sequence.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { admin, commandCtx } from '../support/context.js';

const password = 'Correct-Horse-42';
const registration = (name: string) => ({
  username: name,
  email: `${name}@example.com`,
  password,
  password_confirm: password,
});

describe('write side', () => {
  let store: SqliteEventStore;
  beforeEach(() => {
    store = SqliteEventStore.open(':memory:');
  });
  afterEach(() => store.close());

  it('given 30 concurrent id requests, when allocated, then every id is distinct', async () => {
    const ids = await Promise.all(Array.from({ length: 30 }, () => nextId(store, 'thing', commandCtx())));
    expect(new Set(ids).size).toBe(30);
    expect(Math.min(...ids)).toBe(1);
  });

  it('given 10 concurrent claims on one username, then exactly one wins', async () => {
    const wins = await Promise.all(
      Array.from({ length: 10 }, (_, i) => reserve(store, 'username-zed', `owner-${i}`, commandCtx())),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
  });

  it('given the first registration, then that user is admin and the next is default', async () => {
    await registerUser(store, registration('first'), commandCtx());
    const { userId } = await registerUser(store, registration('second'), commandCtx());
    const [registered] = await store.readStream(`user-${userId}`);
    expect(registered.data.role).toBe('default');
  });

  it('given concurrent updates of one user, then each is applied or refused with 409, and none is lost', async () => {
    const { userId } = await registerUser(store, registration('target'), commandCtx());
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        updateUser(store, userId, { daily_message_limit: i + 1 }, commandCtx(admin)),
      ),
    );
    const applied = outcomes.filter((o) => o.status === 'fulfilled');
    for (const o of outcomes) {
      if (o.status === 'rejected') expect((o.reason as DomainError).kind).toBe('conflict');
    }
    const updates = (await store.readStream(`user-${userId}`)).filter((e) => e.type === 'UserUpdated');
    expect(updates).toHaveLength(applied.length);
    expect(applied.length).toBeGreaterThan(0);
  });

  it('given a stream folded before, when another process appends to it, then the next command decides on everything', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-cache-'));
    const file = path.join(dir, 'events.sqlite');
    const here = SqliteEventStore.open(file);
    const there = SqliteEventStore.open(file); // another process: its own cache
    try {
      const otherAdmin = { type: 'user' as const, userId: 999, role: 'admin' as const };
      const { userId } = await registerUser(here, registration('shared'), commandCtx());
      await updateUser(here, userId, { daily_message_limit: 1 }, commandCtx(otherAdmin)); // folded and cached here
      await updateUser(there, userId, { role: 'manager' }, commandCtx(otherAdmin));
      // A manager cannot be managed by a manager: only the event appended elsewhere says it is one now.
      await expect(
        updateUser(here, userId, { daily_message_limit: 2 }, commandCtx({ type: 'user', userId: 99, role: 'manager' })),
      ).rejects.toMatchObject({ kind: 'forbidden' });
      const result = await updateUser(here, userId, { daily_message_limit: 2 }, commandCtx(otherAdmin));
      expect(result.state).toMatchObject({ role: 'manager', dailyMessageLimit: 2 });
    } finally {
      await here.close();
      await there.close();
    }
  });

  describe('given a stream folded here, then appended to by another process', () => {
    let dir: string;
    let here: SqliteEventStore;
    let there: SqliteEventStore;
    const otherAdmin = { type: 'user' as const, userId: 999, role: 'admin' as const };
    const manager = { type: 'user' as const, userId: 998, role: 'manager' as const };
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-cache-'));
      here = SqliteEventStore.open(path.join(dir, 'events.sqlite'));
      there = SqliteEventStore.open(path.join(dir, 'events.sqlite')); // another process: its own cache
    });
    afterEach(async () => {
      await here.close();
      await there.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('when the stale fold would see no change, then the change is still made', async () => {
      const { userId } = await registerUser(here, registration('noop'), commandCtx());
      await updateUser(here, userId, { daily_message_limit: 1 }, commandCtx(otherAdmin)); // folded and cached here
      await updateUser(there, userId, { daily_message_limit: 5 }, commandCtx(otherAdmin));
      const result = await updateUser(here, userId, { daily_message_limit: 1 }, commandCtx(otherAdmin));
      expect(result.state).toMatchObject({ dailyMessageLimit: 1 });
      expect(result.events).toHaveLength(1);
      const [last] = await there.readStream(`user-${userId}`, { direction: 'backwards', maxCount: 1 });
      expect(last.data.changes).toEqual({ dailyMessageLimit: 1 });
    });

    it('when the stale fold would refuse the command, then it is decided on the stream as it is', async () => {
      const { userId } = await registerUser(here, registration('promoted'), commandCtx());
      await updateUser(here, userId, { role: 'manager' }, commandCtx(otherAdmin)); // a manager cannot manage a manager
      await updateUser(there, userId, { role: 'default' }, commandCtx(otherAdmin));
      const result = await updateUser(here, userId, { daily_message_limit: 3 }, commandCtx(manager));
      expect(result.state).toMatchObject({ role: 'default', dailyMessageLimit: 3 });
    });

    it('when nothing moved, then a refusal or a no-op on the fold stands and appends nothing', async () => {
      const { userId } = await registerUser(here, registration('steady'), commandCtx());
      await updateUser(here, userId, { role: 'manager', daily_message_limit: 2 }, commandCtx(otherAdmin));
      const head = await here.headPosition();
      await expect(updateUser(here, userId, { daily_message_limit: 3 }, commandCtx(manager))).rejects.toMatchObject({
        kind: 'forbidden',
      });
      const same = await updateUser(here, userId, { daily_message_limit: 2 }, commandCtx(otherAdmin));
      expect(same.events).toEqual([]);
      expect(same.position).toBe(head);
      expect(await here.headPosition()).toBe(head);
    });
  });

  it('given a stream this process folded last, when a command appends to it, then the stream is not read again', async () => {
    const { userId } = await registerUser(store, registration('cached'), commandCtx());
    await updateUser(store, userId, { daily_message_limit: 1 }, commandCtx(admin));
    const reads = jest.spyOn(store, 'readStream');
    const result = await updateUser(store, userId, { daily_message_limit: 2 }, commandCtx(admin));
    expect(reads).not.toHaveBeenCalled();
    expect(result.state).toMatchObject({ dailyMessageLimit: 2 });
    const events = await store.readStream(`user-${userId}`);
    expect(events.map((e) => e.revision)).toEqual([0, 1, 2]);
  });

  it('given the same command id twice, then the second run appends nothing and answers the same position', async () => {
    const { userId } = await registerUser(store, registration('twice'), commandCtx());
    const ctx = commandCtx(admin, 'key-1');
    const first = await updateUser(store, userId, { daily_message_limit: 3 }, ctx);
    const head = await store.headPosition();
    const second = await updateUser(store, userId, { daily_message_limit: 3 }, { ...ctx, now: new Date() });
    expect(second.position).toBe(first.position);
    expect(await store.headPosition()).toBe(head);
  });

  it('given an Idempotency-Key, then a retried registration returns the first user and registers no one else', async () => {
    const ctx = commandCtx(null, 'register-once');
    const run = () => withIdempotency(store, ctx, 'register|a', () => registerUser(store, registration('once'), ctx));
    const first = await run();
    const head = await store.headPosition();
    const again = await run();
    expect(again).toEqual(first);
    expect(await store.headPosition()).toBe(head);
    await expect(
      withIdempotency(store, ctx, 'register|b', () => registerUser(store, registration('other'), ctx)),
    ).rejects.toMatchObject({ kind: 'validation' });
  });

  it('given a refused command under a key, then the key can be used again for the corrected request', async () => {
    const ctx = commandCtx(null, 'fix-and-retry');
    await expect(
      withIdempotency(store, ctx, 'x', () =>
        registerUser(store, { ...registration('weak'), password: '123', password_confirm: '123' }, ctx),
      ),
    ).rejects.toBeInstanceOf(DomainError);
    await expect(
      withIdempotency(store, ctx, 'x', () => registerUser(store, registration('weak'), ctx)),
    ).resolves.toMatchObject({ userId: expect.any(Number) });
  });
});
