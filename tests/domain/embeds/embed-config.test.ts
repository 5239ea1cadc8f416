import { embedConfigDecider } from '../../../src/domain/embeds/embed-config.js';
import type { EmbedConfigEvent, EmbedSettings } from '../../../src/domain/embeds/events.js';
import { specFor } from '../given-when-then.js';

const given = specFor(embedConfigDecider);
const now = new Date('2026-03-04T05:06:07.000Z');
const at = now.toISOString();
const admin = { userId: 1, role: 'admin' as const };
const manager = { userId: 2, role: 'manager' as const };
const member = { userId: 3, role: 'default' as const };
const uuid = '550e8400-e29b-41d4-a716-446655440000';
const settings: EmbedSettings = {
  workspaceId: 4,
  enabled: true,
  chatMode: 'query',
  allowlistDomains: ['example.com'],
  maxChatsPerDay: 100,
  messageLimit: 20,
};
const created: EmbedConfigEvent = { type: 'EmbedConfigCreated', data: { uuid, settings, createdBy: 2, at } };

describe('embed config decider', () => {
  it('lets a manager or an admin create a config', () => {
    given([]).when({ type: 'CreateEmbedConfig', actor: manager, uuid, settings, now }).then([created]);
    given([])
      .when({ type: 'CreateEmbedConfig', actor: admin, uuid, settings, now })
      .then([{ type: 'EmbedConfigCreated', data: { uuid, settings, createdBy: 1, at } }]);
  });

  it('refuses default users everything', () => {
    given([]).when({ type: 'CreateEmbedConfig', actor: member, uuid, settings, now }).thenThrows('forbidden');
    given([created]).when({ type: 'ToggleEmbedConfig', actor: member, now }).thenThrows('forbidden');
    given([created]).when({ type: 'DeleteEmbedConfig', actor: member, now }).thenThrows('forbidden');
  });

  it('records only what changes', () => {
    given([created])
      .when({
        type: 'UpdateEmbedConfig',
        actor: admin,
        changes: { chatMode: 'query', allowlistDomains: ['example.com', 'b.org'], messageLimit: null },
        now,
      })
      .then([
        {
          type: 'EmbedConfigUpdated',
          data: { uuid, changes: { allowlistDomains: ['example.com', 'b.org'], messageLimit: null }, at },
        },
      ]);
    given([created])
      .when({
        type: 'UpdateEmbedConfig',
        actor: admin,
        changes: { chatMode: 'query', allowlistDomains: ['example.com'] },
        now,
      })
      .then([]);
  });

  it('toggles enabled back and forth', () => {
    const off: EmbedConfigEvent = { type: 'EmbedConfigUpdated', data: { uuid, changes: { enabled: false }, at } };
    given([created]).when({ type: 'ToggleEmbedConfig', actor: admin, now }).then([off]);
    given([created, off])
      .when({ type: 'ToggleEmbedConfig', actor: admin, now })
      .then([{ type: 'EmbedConfigUpdated', data: { uuid, changes: { enabled: true }, at } }]);
  });

  it('deletes once; a deleted or unknown config is not found', () => {
    const deleted: EmbedConfigEvent = { type: 'EmbedConfigDeleted', data: { uuid, at } };
    given([created]).when({ type: 'DeleteEmbedConfig', actor: admin, now }).then([deleted]);
    given([created, deleted])
      .when({ type: 'UpdateEmbedConfig', actor: admin, changes: { enabled: false }, now })
      .thenThrows('not_found');
    given([]).when({ type: 'ToggleEmbedConfig', actor: admin, now }).thenThrows('not_found');
  });

  it('never creates the same config twice', () =>
    given([created]).when({ type: 'CreateEmbedConfig', actor: admin, uuid, settings, now }).thenThrows('conflict'));
});
