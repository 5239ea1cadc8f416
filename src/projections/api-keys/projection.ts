import type { ApiKeyEvent } from '../../domain/access/events.js';
import type { RecordedEvent } from '../../infra/eventstore/port.js';
import type { ReadStore } from '../../infra/readstore/port.js';
import { applyGuarded, deleteGuarded, type Projection } from '../shared/projection.js';

export const API_KEYS = 'api_keys';

/** Keys that still work, masked: neither the secret nor its hash is ever in the read model. */
export const apiKeysProjection: Projection = {
  name: 'api_keys',
  collections: [API_KEYS],
  handles: ['ApiKeyCreated', 'ApiKeyRevoked'],
  async setup(db) {
    await db.collection(API_KEYS).ensureIndex(['user']);
  },
  async apply(recorded: RecordedEvent, db: ReadStore) {
    const keys = db.collection(API_KEYS);
    const event = recorded as unknown as ApiKeyEvent;
    const id = String(event.data.keyId);
    switch (event.type) {
      case 'ApiKeyCreated': {
        const { keyId, kind, userId, masked, at } = event.data;
        return applyGuarded(keys, id, recorded.position, { $set: { id: keyId, kind, user: userId, key: masked, created_at: at } });
      }
      case 'ApiKeyRevoked':
        return deleteGuarded(keys, id, recorded.position);
    }
  },
};
