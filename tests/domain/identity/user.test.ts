import type { UserEvent } from '../../../src/domain/identity/events.js';
import { userDecider } from '../../../src/domain/identity/user.js';
import { specFor } from '../given-when-then.js';

const given = specFor(userDecider);
const now = new Date('2026-01-02T03:04:05.000Z');
const at = now.toISOString();
const later = new Date('2026-01-09T03:04:05.000Z');
const expiresAt = later.toISOString();

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
const loggedIn = (sessionId = 's1', refreshTokenId = 'r1'): UserEvent => ({
  type: 'UserLoggedIn',
  data: { userId: 7, sessionId, refreshTokenId, expiresAt, at },
});

describe('user decider', () => {
  describe('registration', () => {
    it('registers a user that does not exist yet', () =>
      given([])
        .when({
          type: 'RegisterUser',
          userId: 7,
          username: 'ada',
          email: 'ada@example.com',
          passwordHash: 'h',
          role: 'admin',
          now,
        })
        .then([
          {
            type: 'UserRegistered',
            data: {
              userId: 7,
              username: 'ada',
              email: 'ada@example.com',
              passwordHash: 'h',
              role: 'admin',
              registeredAt: at,
            },
          },
        ]));

    it('refuses to register the same user twice', () =>
      given([registered()])
        .when({
          type: 'RegisterUser',
          userId: 7,
          username: 'ada',
          email: 'a@b.co',
          passwordHash: 'h',
          role: 'default',
          now,
        })
        .thenThrows('conflict'));
  });

  describe('login', () => {
    it('opens a session when the password matches', () =>
      given([registered()])
        .when({ type: 'LogIn', passwordMatches: true, sessionId: 's1', refreshTokenId: 'r1', expiresAt: later, now })
        .then([loggedIn()]));

    it('records a failed login when the password does not match', () =>
      given([registered()])
        .when({ type: 'LogIn', passwordMatches: false, sessionId: 's1', refreshTokenId: 'r1', expiresAt: later, now })
        .then([{ type: 'LoginFailedInvalidPassword', data: { userId: 7, at } }]));

    it('refuses a suspended user even with the right password', () =>
      given([registered(), { type: 'UserUpdated', data: { userId: 7, changes: { suspended: true }, at } }])
        .when({ type: 'LogIn', passwordMatches: true, sessionId: 's1', refreshTokenId: 'r1', expiresAt: later, now })
        .thenThrows('unauthorized'));

    it('knows no deleted user', () =>
      given([registered(), { type: 'UserDeleted', data: { userId: 7, username: 'ada', email: 'ada@example.com', at } }])
        .when({ type: 'LogIn', passwordMatches: true, sessionId: 's1', refreshTokenId: 'r1', expiresAt: later, now })
        .thenThrows('not_found'));
  });

  describe('refresh token rotation', () => {
    const refresh = (tokenId: string, tokenVersion = 0, at = now) => ({
      type: 'RefreshSession' as const,
      sessionId: 's1',
      tokenId,
      tokenVersion,
      newTokenId: 'r2',
      expiresAt: later,
      now: at,
    });

    it('rotates the current refresh token', () =>
      given([registered(), loggedIn()])
        .when(refresh('r1'))
        .then([
          {
            type: 'SessionRefreshed',
            data: { userId: 7, sessionId: 's1', previousTokenId: 'r1', refreshTokenId: 'r2', expiresAt, at },
          },
        ]));

    it('revokes the session when an already rotated token is presented again', () =>
      given([
        registered(),
        loggedIn(),
        {
          type: 'SessionRefreshed',
          data: { userId: 7, sessionId: 's1', previousTokenId: 'r1', refreshTokenId: 'r2', expiresAt, at },
        },
      ])
        .when(refresh('r1'))
        .then([{ type: 'SessionRevoked', data: { userId: 7, sessionId: 's1', reason: 'refresh_token_reused', at } }]));

    it('refuses a revoked session', () =>
      given([
        registered(),
        loggedIn(),
        { type: 'SessionRevoked', data: { userId: 7, sessionId: 's1', reason: 'refresh_token_reused', at } },
      ])
        .when(refresh('r1'))
        .thenThrows('unauthorized'));

    it('refuses a session whose refresh token has expired', () =>
      given([registered(), loggedIn()])
        .when(refresh('r1', 0, new Date('2026-01-10T00:00:00.000Z')))
        .thenThrows('unauthorized'));

    it('forgets expired sessions as later logins are recorded, so the state stays small', () => {
      const old: UserEvent = {
        type: 'UserLoggedIn',
        data: {
          userId: 7,
          sessionId: 'old',
          refreshTokenId: 'r0',
          expiresAt: '2026-01-01T12:00:00.000Z',
          at: '2026-01-01T06:00:00.000Z',
        },
      };
      const state = [registered(), old, loggedIn()].reduce(userDecider.evolve, userDecider.initialState());
      expect(state.status === 'active' && Object.keys(state.sessions)).toEqual(['s1']);
    });

    it('refuses tokens issued before a password change', () =>
      given([registered(), loggedIn(), { type: 'PasswordChanged', data: { userId: 7, passwordHash: 'hash-2', at } }])
        .when(refresh('r1', 0))
        .thenThrows('unauthorized'));
  });

  describe('passwords', () => {
    it('changes the password when the old one matches', () =>
      given([registered()])
        .when({ type: 'ChangePassword', oldPasswordMatches: true, passwordHash: 'hash-2', now })
        .then([{ type: 'PasswordChanged', data: { userId: 7, passwordHash: 'hash-2', at } }]));

    it('reports a wrong old password on its field', () =>
      given([registered()])
        .when({ type: 'ChangePassword', oldPasswordMatches: false, passwordHash: 'hash-2', now })
        .thenThrows('validation', 'old_password'));

    const requested: UserEvent = {
      type: 'PasswordResetRequested',
      data: { userId: 7, email: 'ada@example.com', tokenHash: 'th', expiresAt: '2026-01-02T04:00:00.000Z', at },
    };

    it('resets with an outstanding token', () =>
      given([registered(), requested])
        .when({ type: 'ResetPassword', tokenHash: 'th', passwordHash: 'hash-3', now })
        .then([{ type: 'PasswordReset', data: { userId: 7, tokenHash: 'th', passwordHash: 'hash-3', at } }]));

    it('uses a reset token only once', () =>
      given([
        registered(),
        requested,
        { type: 'PasswordReset', data: { userId: 7, tokenHash: 'th', passwordHash: 'hash-3', at } },
      ])
        .when({ type: 'ResetPassword', tokenHash: 'th', passwordHash: 'hash-4', now })
        .thenThrows('validation', 'token'));

    it('refuses an expired reset token', () =>
      given([registered(), requested])
        .when({
          type: 'ResetPassword',
          tokenHash: 'th',
          passwordHash: 'hash-3',
          now: new Date('2026-01-02T04:00:00.000Z'),
        })
        .thenThrows('validation', 'token'));

    it('refuses an unknown reset token', () =>
      given([registered(), requested])
        .when({ type: 'ResetPassword', tokenHash: 'other', passwordHash: 'hash-3', now })
        .thenThrows('validation', 'token'));
  });

  describe('administration', () => {
    const update = (actorRole: 'admin' | 'manager' | 'default', changes: object, actorId = 1) => ({
      type: 'UpdateUser' as const,
      actorRole,
      actorId,
      changes,
      now,
    });

    it('lets an admin change role, suspension and daily limit', () =>
      given([registered()])
        .when(update('admin', { role: 'manager', suspended: true, dailyMessageLimit: 10 }))
        .then([
          {
            type: 'UserUpdated',
            data: { userId: 7, changes: { role: 'manager', suspended: true, dailyMessageLimit: 10 }, at },
          },
        ]));

    it('records only what actually changes, and nothing when nothing does', () => {
      given([registered()])
        .when(update('admin', { role: 'default', dailyMessageLimit: 5 }))
        .then([{ type: 'UserUpdated', data: { userId: 7, changes: { dailyMessageLimit: 5 }, at } }]);
      given([registered()])
        .when(update('admin', { role: 'default', suspended: false }))
        .then([]);
    });

    it('lets a manager manage default users only', () => {
      given([registered('default')])
        .when(update('manager', { suspended: true }))
        .then([{ type: 'UserUpdated', data: { userId: 7, changes: { suspended: true }, at } }]);
      given([registered('manager')])
        .when(update('manager', { suspended: true }))
        .thenThrows('forbidden');
      given([registered('default')])
        .when(update('manager', { role: 'admin' }))
        .thenThrows('forbidden');
    });

    it('refuses default users', () =>
      given([registered()])
        .when(update('default', { dailyMessageLimit: 1 }))
        .thenThrows('forbidden'));

    it('does not let anyone suspend themselves or change their own role', () =>
      given([registered('admin')])
        .when(update('admin', { suspended: true }, 7))
        .thenThrows('validation'));

    it('deletes a user, but not oneself', () => {
      given([registered()])
        .when({ type: 'DeleteUser', actorRole: 'admin', actorId: 1, now })
        .then([{ type: 'UserDeleted', data: { userId: 7, username: 'ada', email: 'ada@example.com', at } }]);
      given([registered('admin')])
        .when({ type: 'DeleteUser', actorRole: 'admin', actorId: 7, now })
        .thenThrows('validation');
    });
  });
});
