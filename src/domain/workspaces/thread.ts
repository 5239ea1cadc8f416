import type { Decider } from '../shared/decider.js';
import { conflict, forbidden, notFound } from '../shared/errors.js';
import { isPrivileged } from '../identity/roles.js';
import type { ThreadEvent } from './events.js';
import type { WorkspaceActor } from './workspace.js';

export type ThreadState =
  | { status: 'none' }
  | { status: 'active' | 'deleted'; threadId: number; workspaceId: number; name: string; userId: number };

export type ThreadCommand =
  | {
      type: 'CreateThread';
      actor: WorkspaceActor;
      threadId: number;
      workspaceId: number;
      name: string;
      slug: string;
      now: Date;
    }
  | { type: 'RenameThread'; actor: WorkspaceActor; workspaceId: number; name: string; now: Date }
  | { type: 'DeleteThread'; actor: WorkspaceActor; workspaceId: number; now: Date };

/** Membership of the workspace is checked by the handler; here: only the thread's owner, or a manager, changes it. */
export function decide(command: ThreadCommand, state: ThreadState): ThreadEvent[] {
  const at = command.now.toISOString();
  if (command.type === 'CreateThread') {
    if (state.status !== 'none') throw conflict('Thread already exists.');
    const { threadId, workspaceId, name, slug } = command;
    return [{ type: 'ThreadCreated', data: { threadId, workspaceId, name, slug, userId: command.actor.userId, at } }];
  }
  if (state.status !== 'active' || state.workspaceId !== command.workspaceId) throw notFound();
  if (state.userId !== command.actor.userId && !isPrivileged(command.actor.role)) throw forbidden();
  const { threadId, workspaceId } = state;
  if (command.type === 'RenameThread') {
    return command.name === state.name
      ? []
      : [{ type: 'ThreadRenamed', data: { threadId, workspaceId, name: command.name, at } }];
  }
  return [{ type: 'ThreadDeleted', data: { threadId, workspaceId, at } }];
}

export function evolve(state: ThreadState, event: ThreadEvent): ThreadState {
  switch (event.type) {
    case 'ThreadCreated':
      return {
        status: 'active',
        threadId: event.data.threadId,
        workspaceId: event.data.workspaceId,
        name: event.data.name,
        userId: event.data.userId,
      };
    case 'ThreadRenamed':
      return state.status === 'none' ? state : { ...state, name: event.data.name };
    case 'ThreadDeleted':
      return state.status === 'none' ? state : { ...state, status: 'deleted' };
  }
}

export const threadDecider: Decider<ThreadState, ThreadCommand, ThreadEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};
