import type { Decider } from '../shared/decider.js';
import { conflict, forbidden, notFound } from '../shared/errors.js';
import { isPrivileged, type Role } from '../identity/roles.js';
import type { WorkspaceChanges, WorkspaceEvent } from './events.js';
import type { WorkspaceSettings } from './settings.js';

export type WorkspaceState =
  | { status: 'none' }
  | {
      status: 'active' | 'deleted';
      workspaceId: number;
      name: string;
      slug: string;
      settings: WorkspaceSettings;
      members: number[];
    };

type Active = Extract<WorkspaceState, { name: string }>;

/** Who acts, as the workspace rules need to know it. */
export interface WorkspaceActor {
  userId: number;
  role: Role;
}

export type WorkspaceCommand =
  | {
      type: 'CreateWorkspace';
      actor: WorkspaceActor;
      workspaceId: number;
      name: string;
      slug: string;
      settings: WorkspaceSettings;
      now: Date;
    }
  | { type: 'UpdateWorkspace'; actor: WorkspaceActor; changes: WorkspaceChanges; now: Date }
  | { type: 'DeleteWorkspace'; actor: WorkspaceActor; now: Date }
  | { type: 'AddMember'; actor: WorkspaceActor; userId: number; now: Date }
  | { type: 'RemoveMember'; actor: WorkspaceActor; userId: number; now: Date };

/** Admins and managers see every workspace; default users only those they were added to. */
export const canSeeWorkspace = (actor: WorkspaceActor, state: WorkspaceState) =>
  state.status === 'active' && (isPrivileged(actor.role) || state.members.includes(actor.userId));

function requireManageable(command: { actor: WorkspaceActor }, state: WorkspaceState): Active {
  if (state.status !== 'active') throw notFound();
  // Someone who may not even see the workspace learns nothing about it.
  if (!canSeeWorkspace(command.actor, state)) throw notFound();
  if (!isPrivileged(command.actor.role)) throw forbidden();
  return state as Active;
}

export function decide(command: WorkspaceCommand, state: WorkspaceState): WorkspaceEvent[] {
  const at = command.now.toISOString();
  if (command.type === 'CreateWorkspace') {
    if (!isPrivileged(command.actor.role)) throw forbidden();
    if (state.status !== 'none') throw conflict('Workspace already exists.');
    const { workspaceId, name, slug, settings } = command;
    return [
      { type: 'WorkspaceCreated', data: { workspaceId, name, slug, settings, createdBy: command.actor.userId, at } },
    ];
  }
  const ws = requireManageable(command, state);
  const { workspaceId } = ws;
  switch (command.type) {
    case 'UpdateWorkspace': {
      const changes: WorkspaceChanges = {};
      for (const [key, value] of Object.entries(command.changes) as [keyof WorkspaceChanges, unknown][]) {
        const current = key === 'name' ? ws.name : ws.settings[key];
        if (value !== undefined && value !== current) (changes as Record<string, unknown>)[key] = value;
      }
      if (!Object.keys(changes).length) return [];
      const events: WorkspaceEvent[] = [{ type: 'WorkspaceUpdated', data: { workspaceId, changes, at } }];
      if ('openaiPrompt' in changes) {
        events.push({
          type: 'WorkspacePromptChanged',
          data: { workspaceId, previous: ws.settings.openaiPrompt, prompt: changes.openaiPrompt ?? null, at },
        });
      }
      return events;
    }
    case 'DeleteWorkspace':
      return [{ type: 'WorkspaceDeleted', data: { workspaceId, slug: ws.slug, at } }];
    case 'AddMember':
      return ws.members.includes(command.userId)
        ? []
        : [{ type: 'WorkspaceMemberAdded', data: { workspaceId, userId: command.userId, at } }];
    case 'RemoveMember':
      if (!ws.members.includes(command.userId)) throw notFound();
      return [{ type: 'WorkspaceMemberRemoved', data: { workspaceId, userId: command.userId, at } }];
  }
}

export function evolve(state: WorkspaceState, event: WorkspaceEvent): WorkspaceState {
  if (event.type === 'WorkspaceCreated') {
    const d = event.data;
    return {
      status: 'active',
      workspaceId: d.workspaceId,
      name: d.name,
      slug: d.slug,
      settings: d.settings,
      members: [],
    };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'WorkspaceUpdated': {
      const { name, ...settings } = event.data.changes;
      return { ...state, name: name ?? state.name, settings: { ...state.settings, ...settings } };
    }
    case 'WorkspaceDeleted':
      return { ...state, status: 'deleted' };
    case 'WorkspaceMemberAdded':
      return { ...state, members: [...state.members, event.data.userId] };
    case 'WorkspaceMemberRemoved':
      return { ...state, members: state.members.filter((id) => id !== event.data.userId) };
    default:
      return state;
  }
}

export const workspaceDecider: Decider<WorkspaceState, WorkspaceCommand, WorkspaceEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};
