/**
 * The erase command on the encrypting event store: the reservations of the user's username and email
 * are released and the key destroyed; an erasure interrupted before its key was destroyed is
 * finished by asking again.
 */
import { randomUUID } from 'node:crypto';
import { eraseUser } from '../../src/commands/identity/erase.js';
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
});
