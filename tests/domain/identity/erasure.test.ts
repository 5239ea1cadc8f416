import type { UserEvent } from '../../../src/domain/identity/events.js';
import { userDecider } from '../../../src/domain/identity/user.js';
import { specFor } from '../given-when-then.js';

const given = specFor(userDecider);
const now = new Date('2026-01-02T03:04:05.000Z');
const at = now.toISOString();

const registered = (role: 'admin' | 'manager' | 'default' = 'default'): UserEvent => ({
  type: 'UserRegistered',
  data: {
    userId: 7,
    username: 'ada',
    email: 'ada@example.com',
    passwordHash: 'hash-1',
    role,
    registeredAt: '2026-01-01T00:00:00.000Z',
  },
});
const deleted: UserEvent = {
  type: 'UserDeleted',
  data: { userId: 7, username: 'ada', email: 'ada@example.com', at },
};
const erased: UserEvent = { type: 'UserErased', data: { userId: 7, at } };
const erase = (actorRole: 'admin' | 'manager' | 'default' = 'admin', otherAdmins = 1) =>
  ({ type: 'EraseUser', actorRole, otherAdmins, now }) as const;

describe('user decider: erasure', () => {
  it('given a user, when an admin erases them, then UserErased', () =>
    given([registered()]).when(erase()).then([erased]));

  it('given a deleted user, when an admin erases them, then UserErased (deleting kept their data)', () =>
    given([registered(), deleted]).when(erase()).then([erased]));

  it('given an admin with another admin beside them, when erased, then UserErased', () =>
    given([registered('admin')])
      .when(erase('admin', 1))
      .then([erased]));

  it('given the only admin, when erased, then a conflict: the last admin stays', () =>
    given([registered('admin')])
      .when(erase('admin', 0))
      .thenThrows('conflict'));

  it('given a user, when a manager erases them, then forbidden', () =>
    given([registered()]).when(erase('manager')).thenThrows('forbidden'));

  it('given no user, when erased, then not found', () => given([]).when(erase()).thenThrows('not_found'));

  it('given an erased user, when erased again, then nothing new is recorded (the command finishes what is left)', () =>
    given([registered(), erased]).when(erase()).then([]));

  it('given an erased user, when they log in, then not found: the account is gone', () =>
    given([registered(), erased])
      .when({ type: 'LogIn', passwordMatches: true, sessionId: 's', refreshTokenId: 'r', expiresAt: now, now })
      .thenThrows('not_found'));
});
