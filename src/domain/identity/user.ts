import type { Decider } from '../shared/decider.js';
import { conflict, DomainError, fieldError, forbidden, notFound, unauthorized } from '../shared/errors.js';
import type { UserEvent } from './events.js';
import { canAssignRole, canManageUser, type Role } from './roles.js';

export interface RegisteredUser {
  status: 'active' | 'deleted' | 'erased';
  userId: number;
  username: string;
  email: string;
  role: Role;
  passwordHash: string;
  suspended: boolean;
  dailyMessageLimit: number | null;
  /** Bumped whenever earlier tokens must stop working (password change or reset). */
  tokenVersion: number;
  /** sessionId → the only refresh token that may still be used in that session, and when it expires. */
  sessions: Record<string, { tokenId: string; expiresAt: string }>;
  /** sha256 of outstanding reset tokens → expiry (ISO). */
  resetTokens: Record<string, string>;
}

export type UserState = { status: 'none' } | RegisteredUser;
export type ActiveUser = RegisteredUser & { status: 'active' };

export type UserCommand =
  | {
      type: 'RegisterUser';
      userId: number;
      username: string;
      email: string;
      passwordHash: string;
      role: Role;
      now: Date;
    }
  | { type: 'LogIn'; passwordMatches: boolean; sessionId: string; refreshTokenId: string; expiresAt: Date; now: Date }
  | {
      type: 'RefreshSession';
      sessionId: string;
      tokenId: string;
      tokenVersion: number;
      newTokenId: string;
      expiresAt: Date;
      now: Date;
    }
  | { type: 'ChangePassword'; oldPasswordMatches: boolean; passwordHash: string; now: Date }
  | { type: 'RequestPasswordReset'; tokenHash: string; expiresAt: Date; now: Date }
  | { type: 'ResetPassword'; tokenHash: string; passwordHash: string; now: Date }
  | {
      type: 'UpdateUser';
      actorRole: Role;
      actorId: number;
      changes: { role?: Role; suspended?: boolean; dailyMessageLimit?: number | null };
      now: Date;
    }
  | { type: 'DeleteUser'; actorRole: Role; actorId: number; now: Date }
  /** `otherAdmins`: active admins besides this user, as the users read model counts them. */
  | { type: 'EraseUser'; actorRole: Role; otherAdmins: number; now: Date };

export const LAST_ADMIN = 'The last admin cannot be erased.';

export const INVALID_CREDENTIALS = 'No active account found with the given credentials';
export const INVALID_TOKEN = 'Given token not valid for any token type';

function requireActive(state: UserState): ActiveUser {
  if (state.status !== 'active') throw notFound();
  return state as ActiveUser;
}

export function decide(command: UserCommand, state: UserState): UserEvent[] {
  const at = command.now.toISOString();
  if (command.type === 'RegisterUser') {
    if (state.status !== 'none') throw conflict('User already exists.');
    const { userId, username, email, passwordHash, role } = command;
    return [{ type: 'UserRegistered', data: { userId, username, email, passwordHash, role, registeredAt: at } }];
  }
  if (command.type === 'EraseUser') return decideErasure(command, state);
  const user = requireActive(state);
  const { userId } = user;
  switch (command.type) {
    case 'LogIn':
      if (user.suspended) throw unauthorized(INVALID_CREDENTIALS);
      if (!command.passwordMatches) return [{ type: 'LoginFailedInvalidPassword', data: { userId, at } }];
      return [
        {
          type: 'UserLoggedIn',
          data: {
            userId,
            sessionId: command.sessionId,
            refreshTokenId: command.refreshTokenId,
            expiresAt: command.expiresAt.toISOString(),
            at,
          },
        },
      ];

    case 'RefreshSession': {
      if (user.suspended || command.tokenVersion !== user.tokenVersion) throw unauthorized(INVALID_TOKEN);
      const current = user.sessions[command.sessionId];
      if (current === undefined || new Date(current.expiresAt) <= command.now) throw unauthorized(INVALID_TOKEN);
      // A refresh token that was already rotated away is being replayed: end the whole session.
      if (current.tokenId !== command.tokenId) {
        return [
          {
            type: 'SessionRevoked',
            data: { userId, sessionId: command.sessionId, reason: 'refresh_token_reused', at },
          },
        ];
      }
      return [
        {
          type: 'SessionRefreshed',
          data: {
            userId,
            sessionId: command.sessionId,
            previousTokenId: command.tokenId,
            refreshTokenId: command.newTokenId,
            expiresAt: command.expiresAt.toISOString(),
            at,
          },
        },
      ];
    }

    case 'ChangePassword':
      if (!command.oldPasswordMatches) throw fieldError('old_password', 'Old password is incorrect.');
      return [{ type: 'PasswordChanged', data: { userId, passwordHash: command.passwordHash, at } }];

    case 'RequestPasswordReset':
      return [
        {
          type: 'PasswordResetRequested',
          data: {
            userId,
            email: user.email,
            tokenHash: command.tokenHash,
            expiresAt: command.expiresAt.toISOString(),
            at,
          },
        },
      ];

    case 'ResetPassword': {
      const expiresAt = user.resetTokens[command.tokenHash];
      if (!expiresAt || new Date(expiresAt) <= command.now) {
        throw fieldError('token', 'Invalid or expired reset token.');
      }
      return [
        {
          type: 'PasswordReset',
          data: { userId, tokenHash: command.tokenHash, passwordHash: command.passwordHash, at },
        },
      ];
    }

    case 'UpdateUser': {
      if (!canManageUser(command.actorRole, user.role)) throw forbidden();
      const { role, suspended } = command.changes;
      if (role !== undefined && !canAssignRole(command.actorRole, role)) throw forbidden();
      if (command.actorId === userId && (suspended === true || (role !== undefined && role !== user.role))) {
        throw new DomainError('validation', 'You cannot suspend yourself or change your own role.');
      }
      const changes = changedFields(user, command.changes);
      return Object.keys(changes).length ? [{ type: 'UserUpdated', data: { userId, changes, at } }] : [];
    }

    case 'DeleteUser':
      if (!canManageUser(command.actorRole, user.role)) throw forbidden();
      if (command.actorId === userId) throw new DomainError('validation', 'You cannot delete yourself.');
      return [{ type: 'UserDeleted', data: { userId, username: user.username, email: user.email, at } }];
  }
}

/** Admins erase users, deleted ones too; the last admin stays, or no one could administer. */
function decideErasure(command: Extract<UserCommand, { type: 'EraseUser' }>, state: UserState): UserEvent[] {
  if (command.actorRole !== 'admin') throw forbidden();
  if (state.status === 'none') throw notFound();
  // Asked again (say after a crash before the key was destroyed): nothing new to record, the rest is redone.
  if (state.status === 'erased') return [];
  if (state.status === 'active' && state.role === 'admin' && command.otherAdmins < 1) throw conflict(LAST_ADMIN);
  return [{ type: 'UserErased', data: { userId: state.userId, at: command.now.toISOString() } }];
}

function changedFields(user: ActiveUser, changes: Extract<UserCommand, { type: 'UpdateUser' }>['changes']) {
  const changed: typeof changes = {};
  if (changes.role !== undefined && changes.role !== user.role) changed.role = changes.role;
  if (changes.suspended !== undefined && changes.suspended !== user.suspended) changed.suspended = changes.suspended;
  if (changes.dailyMessageLimit !== undefined && changes.dailyMessageLimit !== user.dailyMessageLimit) {
    changed.dailyMessageLimit = changes.dailyMessageLimit;
  }
  return changed;
}

export function evolve(state: UserState, event: UserEvent): UserState {
  if (event.type === 'UserRegistered') {
    const d = event.data;
    return {
      status: 'active',
      userId: d.userId,
      username: d.username,
      email: d.email,
      role: d.role,
      passwordHash: d.passwordHash,
      suspended: false,
      dailyMessageLimit: null,
      tokenVersion: 0,
      sessions: {},
      resetTokens: {},
    };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'UserLoggedIn':
    case 'SessionRefreshed':
      return {
        ...state,
        sessions: {
          ...liveSessions(state.sessions, event.data.at),
          [event.data.sessionId]: { tokenId: event.data.refreshTokenId, expiresAt: event.data.expiresAt },
        },
      };
    case 'SessionRevoked': {
      const { [event.data.sessionId]: _revoked, ...sessions } = state.sessions;
      return { ...state, sessions };
    }
    case 'PasswordChanged':
      return { ...state, passwordHash: event.data.passwordHash, tokenVersion: state.tokenVersion + 1, sessions: {} };
    case 'PasswordResetRequested':
      return { ...state, resetTokens: { ...state.resetTokens, [event.data.tokenHash]: event.data.expiresAt } };
    case 'PasswordReset':
      // Every outstanding reset token dies with the reset, not only the one used.
      return {
        ...state,
        passwordHash: event.data.passwordHash,
        tokenVersion: state.tokenVersion + 1,
        sessions: {},
        resetTokens: {},
      };
    case 'UserUpdated': {
      const { role, suspended, dailyMessageLimit } = event.data.changes;
      return {
        ...state,
        role: role ?? state.role,
        suspended: suspended ?? state.suspended,
        dailyMessageLimit: dailyMessageLimit !== undefined ? dailyMessageLimit : state.dailyMessageLimit,
        sessions: suspended ? {} : state.sessions,
      };
    }
    case 'UserDeleted':
      return { ...state, status: 'deleted', sessions: {}, resetTokens: {} };
    case 'UserErased':
      return { ...state, status: 'erased', sessions: {}, resetTokens: {} };
    default:
      return state;
  }
}

/** Expired sessions are dropped as time passes, so a user's state does not grow with every login ever made. */
function liveSessions(sessions: RegisteredUser['sessions'], at: string): RegisteredUser['sessions'] {
  const live: RegisteredUser['sessions'] = {};
  for (const [id, session] of Object.entries(sessions)) if (session.expiresAt > at) live[id] = session;
  return live;
}

export const userDecider: Decider<UserState, UserCommand, UserEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};
