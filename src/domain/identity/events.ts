import type { DomainEvent } from '../shared/decider.js';
import type { Role } from './roles.js';

export type UserRegistered = DomainEvent<
  'UserRegistered',
  {
    userId: number;
    username: string;
    email: string;
    passwordHash: string;
    role: Role;
    registeredAt: string;
  }
>;
/** `expiresAt`: when the session's refresh token runs out, after which the session is forgotten. */
export type UserLoggedIn = DomainEvent<
  'UserLoggedIn',
  { userId: number; sessionId: string; refreshTokenId: string; expiresAt: string; at: string }
>;
export type LoginFailedInvalidPassword = DomainEvent<'LoginFailedInvalidPassword', { userId: number; at: string }>;
export type SessionRefreshed = DomainEvent<
  'SessionRefreshed',
  {
    userId: number;
    sessionId: string;
    previousTokenId: string;
    refreshTokenId: string;
    expiresAt: string;
    at: string;
  }
>;
export type SessionRevoked = DomainEvent<
  'SessionRevoked',
  { userId: number; sessionId: string; reason: 'refresh_token_reused'; at: string }
>;
export type PasswordChanged = DomainEvent<'PasswordChanged', { userId: number; passwordHash: string; at: string }>;
export type PasswordResetRequested = DomainEvent<
  'PasswordResetRequested',
  {
    userId: number;
    email: string;
    tokenHash: string;
    expiresAt: string;
    at: string;
  }
>;
export type PasswordReset = DomainEvent<
  'PasswordReset',
  { userId: number; tokenHash: string; passwordHash: string; at: string }
>;
export type UserUpdated = DomainEvent<
  'UserUpdated',
  {
    userId: number;
    changes: { role?: Role; suspended?: boolean; dailyMessageLimit?: number | null };
    at: string;
  }
>;
export type UserDeleted = DomainEvent<'UserDeleted', { userId: number; username: string; email: string; at: string }>;
/** The user's key is destroyed with it: their personal data in every event reads "[erased]" from then on. */
export type UserErased = DomainEvent<'UserErased', { userId: number; at: string }>;

export type UserEvent =
  | UserRegistered
  | UserLoggedIn
  | LoginFailedInvalidPassword
  | SessionRefreshed
  | SessionRevoked
  | PasswordChanged
  | PasswordResetRequested
  | PasswordReset
  | UserUpdated
  | UserDeleted
  | UserErased;

/** Recorded on a stream of its own: there is no user to hang it on. The name tried is kept only as a keyed digest. */
export type LoginFailedInvalidUsername = DomainEvent<
  'LoginFailedInvalidUsername',
  { usernameDigest: string; at: string }
>;
