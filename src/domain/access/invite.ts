import type { Decider } from '../shared/decider.js';
import { conflict, fieldError, forbidden, invalid, notFound } from '../shared/errors.js';
import { isPrivileged, type Role } from '../identity/roles.js';
import type { InviteEvent } from './events.js';

export type InviteState =
  | { status: 'none' }
  | {
      status: 'pending' | 'accepted' | 'disabled';
      inviteId: number;
      code: string;
      workspaceIds: number[];
      createdBy: number;
    };

export interface InviteActor {
  userId: number;
  role: Role;
}

export type InviteCommand =
  | { type: 'CreateInvite'; actor: InviteActor; inviteId: number; code: string; workspaceIds: number[]; now: Date }
  | { type: 'AcceptInvite'; userId: number; username: string; now: Date }
  | { type: 'DisableInvite'; actor: InviteActor; now: Date };

export const INVITE_UNUSABLE = 'This invite code is invalid or has already been used.';

export function decide(command: InviteCommand, state: InviteState): InviteEvent[] {
  const at = command.now.toISOString();
  switch (command.type) {
    case 'CreateInvite': {
      if (!isPrivileged(command.actor.role)) throw forbidden();
      if (state.status !== 'none') throw conflict('Invite already exists.');
      const { inviteId, code, workspaceIds } = command;
      return [
        {
          type: 'InviteCreated',
          data: { inviteId, code, workspaceIds: [...new Set(workspaceIds)], createdBy: command.actor.userId, at },
        },
      ];
    }
    case 'AcceptInvite':
      // Used, disabled or unknown look the same to whoever holds the code.
      if (state.status !== 'pending') throw fieldError('code', INVITE_UNUSABLE);
      return [
        {
          type: 'InviteAccepted',
          data: { inviteId: state.inviteId, userId: command.userId, username: command.username, at },
        },
      ];
    case 'DisableInvite':
      // The role first: someone who may not disable invites learns nothing of which ones exist.
      if (!isPrivileged(command.actor.role)) throw forbidden();
      if (state.status === 'none') throw notFound();
      if (state.status === 'accepted') throw invalid('This invite was already used and cannot be disabled.');
      return state.status === 'disabled'
        ? []
        : [{ type: 'InviteDisabled', data: { inviteId: state.inviteId, disabledBy: command.actor.userId, at } }];
  }
}

export function evolve(state: InviteState, event: InviteEvent): InviteState {
  switch (event.type) {
    case 'InviteCreated': {
      const { inviteId, code, workspaceIds, createdBy } = event.data;
      return { status: 'pending', inviteId, code, workspaceIds, createdBy };
    }
    case 'InviteAccepted':
      return state.status === 'none' ? state : { ...state, status: 'accepted' };
    case 'InviteDisabled':
      return state.status === 'none' ? state : { ...state, status: 'disabled' };
    default:
      return state;
  }
}

export const inviteDecider: Decider<InviteState, InviteCommand, InviteEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};
