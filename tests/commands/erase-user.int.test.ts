/**
 * The erase command on the encrypting event store: the reservations of the user's username and email
 * are released and the key destroyed; an erasure interrupted before its key was destroyed is
 * finished by asking again.
 */
import { randomUUID } from 'node:crypto';
import { ADMIN_ERASURES, eraseUser } from '../../src/commands/identity/erase.js';
import { LAST_ADMIN } from '../../src/domain/identity/user.js';
import { openAccount } from '../../src/commands/identity/register.js';
import { ownerOf } from '../../src/commands/shared/reservation.js';
import { emailStream, usernameStream } from '../../src/commands/identity/register.js';
import { ERASED, userSubject } from '../../src/domain/shared/personal-data.js';
import { EncryptingEventStore } from '../../src/infra/eventstore/encrypting.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { CachedKeyStore } from '../../src/infra/keystore/cached.js';
import type { KeyStore } from '../../src/infra/keystore/port.js';
import { SqliteKeyStore } from '../../src/infra/keystore/sqlite.js';
import { admin, commandCtx } from '../support/context.js';

function stores() {
  const keys = new CachedKeyStore(SqliteKeyStore.open(':memory:'));
  const store = new EncryptingEventStore(SqliteEventStore.open(':memory:'), keys);
  return { keys, store };
}

const account = () => ({
  username: `eve_${randomUUID().slice(0, 8)}`,
  email: `${randomUUID()}@example.org`,
  password: 'x',
});

describe('eraseUser', () => {
  it('given a user, when erased, then the username and email are free and the key is gone', async () => {
    const { keys, store } = stores();
    await openAccount(store, account(), commandCtx(), { role: 'admin' });
    const eve = account();
    const { userId } = await openAccount(store, eve, commandCtx(admin));
    expect(await ownerOf(store, usernameStream(eve.username))).toBe(String(userId));

    await eraseUser({ store, keys, otherAdmins: async () => 1 }, userId, commandCtx(admin));

    expect(await ownerOf(store, usernameStream(eve.username))).toBeNull();
    expect(await ownerOf(store, emailStream(eve.email))).toBeNull();
    expect(await keys.find(userSubject(userId))).toBeNull();
    const [registered] = await store.readStream(`user-${userId}`);
    expect(registered!.data).toMatchObject({ username: ERASED, email: ERASED });
    await store.close();
    await keys.close();
  });

  it('given an erasure that stopped before destroying the key, when asked again, then it finishes', async () => {
    const { keys, store } = stores();
    const eve = account();
    const { userId } = await openAccount(store, eve, commandCtx(), { role: 'default' });
    const failing: KeyStore = {
      keyFor: (s) => keys.keyFor(s),
      find: (s) => keys.find(s),
      destroy: async () => {
        throw new Error('crashed');
      },
      close: () => keys.close(),
    };
    await expect(
      eraseUser({ store, keys: failing, otherAdmins: async () => 1 }, userId, commandCtx(admin)),
    ).rejects.toThrow('crashed');
    expect(await keys.find(userSubject(userId))).not.toBeNull();
    const head = await store.headPosition();

    await eraseUser({ store, keys, otherAdmins: async () => 1 }, userId, commandCtx(admin));

    expect(await keys.find(userSubject(userId))).toBeNull();
    const appended = await store.readAll({ after: head });
    expect(appended.filter((e) => e.type === 'UserErased')).toEqual([]); // recorded once
    await store.close();
    await keys.close();
  });

  it('given two admins erasing each other at once, while the read model still counts both, then only one erasure passes', async () => {
    const { keys, store } = stores();
    const a = await openAccount(store, account(), commandCtx(), { role: 'admin' });
    const b = await openAccount(store, account(), commandCtx(), { role: 'admin' });
    // A read model that has not caught up with either erasure: it still counts both admins.
    const otherAdmins = async (id: number, excluding: readonly number[]) =>
      [a.userId, b.userId].filter((admin) => admin !== id && !excluding.includes(admin)).length;
    const actor = (userId: number) => commandCtx({ type: 'user', userId, role: 'admin' });

    const outcomes = await Promise.allSettled([
      eraseUser({ store, keys, otherAdmins }, b.userId, actor(a.userId)),
      eraseUser({ store, keys, otherAdmins }, a.userId, actor(b.userId)),
    ]);

    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason.message).toBe(LAST_ADMIN);
    const erased = (await store.readAll()).filter((e) => e.type === 'UserErased');
    expect(erased).toHaveLength(1);
    await store.close();
    await keys.close();
  });

  it('given a user who is not an admin, when erased, then no admin is counted and nothing is recorded for admins', async () => {
    const { keys, store } = stores();
    const { userId } = await openAccount(store, account(), commandCtx(), { role: 'default' });
    const counted: number[] = [];
    const otherAdmins = async (id: number) => (counted.push(id), 0);

    await eraseUser({ store, keys, otherAdmins }, userId, commandCtx(admin));

    expect(counted).toEqual([]);
    expect(await store.readStream(ADMIN_ERASURES)).toEqual([]);
    await store.close();
    await keys.close();
  });
});
