import type { DomainEvent } from '../shared/decider.js';

/** `api`: the admin's keys for the REST and GraphQL API; `browser_extension`: a user's key for the browser extension. */
export type ApiKeyKind = 'api' | 'browser_extension';

/**
 * Only the key's SHA-256 is recorded, with a masked form (`sk_live_...abcd`) for lists; the secret itself
 * is shown once, in the response that created it.
 */
export type ApiKeyCreated = DomainEvent<
  'ApiKeyCreated',
  {
    keyId: number;
    kind: ApiKeyKind;
    userId: number;
    keyHash: string;
    masked: string;
    at: string;
  }
>;
export type ApiKeyRevoked = DomainEvent<
  'ApiKeyRevoked',
  { keyId: number; kind: ApiKeyKind; userId: number; revokedBy: number; at: string }
>;

export type ApiKeyEvent = ApiKeyCreated | ApiKeyRevoked;

export type InviteCreated = DomainEvent<
  'InviteCreated',
  {
    inviteId: number;
    code: string;
    workspaceIds: number[];
    createdBy: number;
    at: string;
  }
>;
/** The invite was used: `userId` is the account it created. */
export type InviteAccepted = DomainEvent<
  'InviteAccepted',
  { inviteId: number; userId: number; username: string; at: string }
>;
export type InviteDisabled = DomainEvent<'InviteDisabled', { inviteId: number; disabledBy: number; at: string }>;

export type InviteEvent = InviteCreated | InviteAccepted | InviteDisabled;
