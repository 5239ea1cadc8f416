import type { DocumentDeleted, DocumentUploaded } from '../../domain/documents/events.js';
import type { UserDeleted } from '../../domain/identity/events.js';
import type { WorkspaceEvent } from '../../domain/workspaces/events.js';
import type { WorkspaceSettings } from '../../domain/workspaces/settings.js';
import { applyGuarded, deleteGuarded, type Projection } from '../shared/projection.js';

export const WORKSPACES = 'workspaces';

/** Domain settings under their API (snake_case) names. */
export function settingsFields(s: Partial<WorkspaceSettings>): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    chat_mode: s.chatMode,
    chat_provider: s.chatProvider,
    chat_model: s.chatModel,
    openai_prompt: s.openaiPrompt,
    openai_temp: s.openaiTemp,
    top_n: s.topN,
    similarity_threshold: s.similarityThreshold,
    chat_history: s.chatHistory,
    query_refusal_response: s.queryRefusalResponse,
  };
  for (const k of Object.keys(fields)) if (fields[k] === undefined) delete fields[k];
  return fields;
}

/** Workspaces with their settings, members and counts, as the list endpoint shows them. */
export const workspacesProjection: Projection<WorkspaceEvent | UserDeleted | DocumentUploaded | DocumentDeleted> = {
  name: 'workspaces',
  collections: [WORKSPACES],
  handles: [
    'WorkspaceCreated',
    'WorkspaceUpdated',
    'WorkspaceDeleted',
    'WorkspaceMemberAdded',
    'WorkspaceMemberRemoved',
    'UserDeleted',
    'DocumentUploaded',
    'DocumentDeleted',
  ],
  async setup(db) {
    await db.collection(WORKSPACES).ensureIndex(['slug']);
    await db.collection(WORKSPACES).ensureIndex(['members']);
  },
  async apply(event, db) {
    const workspaces = db.collection(WORKSPACES);
    const pos = event.position;
    if (event.type === 'UserDeleted') {
      const userId = event.data.userId;
      await workspaces.updateMany(
        { members: userId, _pos: { $lt: pos } },
        { $pull: { members: userId }, $inc: { user_count: -1 }, $set: { _pos: pos } },
      );
      return;
    }
    const id = String(event.data.workspaceId);
    const at = event.data.at;
    switch (event.type) {
      case 'WorkspaceCreated': {
        const d = event.data;
        return applyGuarded(workspaces, id, pos, {
          $set: {
            id: d.workspaceId,
            name: d.name,
            slug: d.slug,
            ...settingsFields(d.settings),
            members: [],
            user_count: 0,
            document_count: 0,
            created_by: d.createdBy,
            created_at: at,
            updated_at: at,
          },
        });
      }
      case 'WorkspaceUpdated': {
        const { name, ...settings } = event.data.changes;
        return applyGuarded(
          workspaces,
          id,
          pos,
          { $set: { ...(name !== undefined ? { name } : {}), ...settingsFields(settings), updated_at: at } },
          false,
        );
      }
      case 'WorkspaceDeleted':
        return deleteGuarded(workspaces, id, pos);
      // Counted only when membership really changes: a deleted user has already left every workspace.
      case 'WorkspaceMemberAdded':
        return applyGuarded(
          workspaces,
          id,
          pos,
          { $push: { members: event.data.userId }, $inc: { user_count: 1 } },
          false,
          { members: { $ne: event.data.userId } },
        );
      case 'WorkspaceMemberRemoved':
        return applyGuarded(
          workspaces,
          id,
          pos,
          { $pull: { members: event.data.userId }, $inc: { user_count: -1 } },
          false,
          { members: event.data.userId },
        );
      // Each document is uploaded once and deleted at most once, so counting its two events counts the documents.
      case 'DocumentUploaded':
        return applyGuarded(workspaces, id, pos, { $inc: { document_count: 1 } }, false);
      case 'DocumentDeleted':
        return applyGuarded(workspaces, id, pos, { $inc: { document_count: -1 } }, false);
    }
  },
};
