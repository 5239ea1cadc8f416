import type { SettingUpdated } from '../../domain/system/settings.js';
import { applyGuarded, type Projection } from '../shared/projection.js';

export const SETTINGS = 'settings';

export const settingsProjection: Projection<SettingUpdated> = {
  name: 'settings',
  collections: [SETTINGS],
  handles: ['SettingUpdated'],
  async apply(event, db) {
    const { label, value, at } = event.data;
    await applyGuarded(db.collection(SETTINGS), label, event.position, { $set: { label, value, updated_at: at } });
  },
};
