import type { EmbedConfigEvent } from '../../domain/embeds/events.js';
import { applyGuarded, deleteGuarded, type Projection } from '../shared/projection.js';

export const EMBED_CONFIGS = 'embed_configs';

export const embedConfigsProjection: Projection<EmbedConfigEvent> = {
  name: 'embed_configs',
  collections: [EMBED_CONFIGS],
  handles: ['EmbedConfigCreated', 'EmbedConfigUpdated', 'EmbedConfigDeleted'],
  async apply(event, db) {
    const configs = db.collection(EMBED_CONFIGS);
    const { uuid } = event.data;
    const pos = event.position;
    switch (event.type) {
      case 'EmbedConfigCreated': {
        const s = event.data.settings;
        return applyGuarded(configs, uuid, pos, {
          $set: {
            uuid,
            workspace: s.workspaceId,
            enabled: s.enabled,
            chat_mode: s.chatMode,
            allowlist_domains: s.allowlistDomains,
            max_chats_per_day: s.maxChatsPerDay,
            message_limit: s.messageLimit,
            created_by: event.data.createdBy,
            created_at: event.data.at,
          },
        });
      }
      case 'EmbedConfigUpdated': {
        const c = event.data.changes;
        const wire: Record<string, unknown> = {
          workspace: c.workspaceId,
          enabled: c.enabled,
          chat_mode: c.chatMode,
          allowlist_domains: c.allowlistDomains,
          max_chats_per_day: c.maxChatsPerDay,
          message_limit: c.messageLimit,
        };
        const $set = Object.fromEntries(Object.entries(wire).filter(([, v]) => v !== undefined));
        return applyGuarded(configs, uuid, pos, { $set }, false);
      }
      case 'EmbedConfigDeleted':
        return deleteGuarded(configs, uuid, pos);
    }
  },
};
