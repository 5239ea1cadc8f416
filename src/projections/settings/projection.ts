import type { SettingUpdated } from '../../domain/system/settings.js';
import type { RecordedEvent } from '../../infra/eventstore/port.js';
import type { ReadStore } from '../../infra/readstore/port.js';
import { applyGuarded, type Projection } from '../shared/projection.js';

export const SETTINGS = 'settings';

export const settingsProjection: Projection = {
  name: 'settings',
  collections: [SETTINGS],
  handles: ['SettingUpdated'],
  async apply(recorded: RecordedEvent, db: ReadStore) {
    const { label, value, at } = (recorded as unknown as SettingUpdated).data;
    await applyGuarded(db.collection(SETTINGS), label, recorded.position, { $set: { label, value, updated_at: at } });
  },
};
