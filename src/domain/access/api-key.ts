import type { Decider } from '../shared/decider.js';
import { conflict, forbidden, notFound } from '../shared/errors.js';
import type { Role } from '../identity/roles.js';
import type { ApiKeyEvent, ApiKeyKind } from './events.js';

export type ApiKeyState =
  | { status: 'none' }
  | { status: 'active' | 'revoked'; keyId: number; kind: ApiKeyKind; userId: number; keyHash: string };

export interface KeyActor {
  userId: number;
  role: Role;
}

export type ApiKeyCommand =
  | {
      type: 'CreateApiKey';
      actor: KeyActor;
      keyId: number;
      kind: ApiKeyKind;
      keyHash: string;
      masked: string;
      now: Date;
    }
  | { type: 'RevokeApiKey'; actor: KeyActor; now: Date };

/** API keys are the admin's; a browser-extension key belongs to whoever made it (an admin may revoke any). */
export const mayCreate = (actor: KeyActor, kind: ApiKeyKind) => kind === 'browser_extension' || actor.role === 'admin';

export const mayManage = (actor: KeyActor, key: { kind: ApiKeyKind; userId: number }) =>
  actor.role === 'admin' || (key.kind === 'browser_extension' && key.userId === actor.userId);

export function decide(command: ApiKeyCommand, state: ApiKeyState): ApiKeyEvent[] {
  const at = command.now.toISOString();
  switch (command.type) {
    case 'CreateApiKey': {
      if (!mayCreate(command.actor, command.kind)) throw forbidden();
      if (state.status !== 'none') throw conflict('API key already exists.');
      const { keyId, kind, keyHash, masked } = command;
      return [{ type: 'ApiKeyCreated', data: { keyId, kind, userId: command.actor.userId, keyHash, masked, at } }];
    }
    case 'RevokeApiKey':
      // Someone who may not manage the key learns nothing about it, not even that it exists.
      if (state.status !== 'active' || !mayManage(command.actor, state)) throw notFound();
      return [
        {
          type: 'ApiKeyRevoked',
          data: { keyId: state.keyId, kind: state.kind, userId: state.userId, revokedBy: command.actor.userId, at },
        },
      ];
  }
}

export function evolve(state: ApiKeyState, event: ApiKeyEvent): ApiKeyState {
  switch (event.type) {
    case 'ApiKeyCreated': {
      const { keyId, kind, userId, keyHash } = event.data;
      return { status: 'active', keyId, kind, userId, keyHash };
    }
    case 'ApiKeyRevoked':
      return state.status === 'none' ? state : { ...state, status: 'revoked' };
    default:
      return state;
  }
}

export const apiKeyDecider: Decider<ApiKeyState, ApiKeyCommand, ApiKeyEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};
