import type { DomainEvent } from '../shared/decider.js';
import type { WorkspaceSettings } from './settings.js';

export type WorkspaceChanges = Partial<WorkspaceSettings & { name: string }>;

export type WorkspaceCreated = DomainEvent<
  'WorkspaceCreated',
  {
    workspaceId: number;
    name: string;
    slug: string;
    settings: WorkspaceSettings;
    createdBy: number;
    at: string;
  }
>;
export type WorkspaceUpdated = DomainEvent<
  'WorkspaceUpdated',
  { workspaceId: number; changes: WorkspaceChanges; at: string }
>;
/** Recorded beside WorkspaceUpdated when the system prompt changes, as AnythingLLM logs it. */
export type WorkspacePromptChanged = DomainEvent<
  'WorkspacePromptChanged',
  {
    workspaceId: number;
    previous: string | null;
    prompt: string | null;
    at: string;
  }
>;
export type WorkspaceDeleted = DomainEvent<'WorkspaceDeleted', { workspaceId: number; slug: string; at: string }>;
export type WorkspaceMemberAdded = DomainEvent<
  'WorkspaceMemberAdded',
  { workspaceId: number; userId: number; at: string }
>;
export type WorkspaceMemberRemoved = DomainEvent<
  'WorkspaceMemberRemoved',
  { workspaceId: number; userId: number; at: string }
>;

export type WorkspaceEvent =
  | WorkspaceCreated
  | WorkspaceUpdated
  | WorkspacePromptChanged
  | WorkspaceDeleted
  | WorkspaceMemberAdded
  | WorkspaceMemberRemoved;

export type ThreadCreated = DomainEvent<
  'ThreadCreated',
  { threadId: number; workspaceId: number; name: string; slug: string; userId: number; at: string }
>;
export type ThreadRenamed = DomainEvent<
  'ThreadRenamed',
  { threadId: number; workspaceId: number; name: string; at: string }
>;
export type ThreadDeleted = DomainEvent<'ThreadDeleted', { threadId: number; workspaceId: number; at: string }>;

export type ThreadEvent = ThreadCreated | ThreadRenamed | ThreadDeleted;
