import type { ApiKeyEvent } from '../../domain/access/events.js';
import { applyGuarded, deleteGuarded, type Projection } from '../shared/projection.js';

export const API_KEYS = 'api_keys';

/** Keys that still work, masked: neither the secret nor its hash is ever in the read model. */
export const apiKeysProjection: Projection<ApiKeyEvent> = {
  name: 'api_keys',
  collections: [API_KEYS],
  handles: ['ApiKeyCreated', 'ApiKeyRevoked'],
  async setup(db) {
    await db.collection(API_KEYS).ensureIndex(['user']);
  },
  async apply(event, db) {
    const keys = db.collection(API_KEYS);
    const id = String(event.data.keyId);
    switch (event.type) {
      case 'ApiKeyCreated': {
        const { keyId, kind, userId, masked, at } = event.data;
        return applyGuarded(keys, id, event.position, {
          $set: { id: keyId, kind, user: userId, key: masked, created_at: at },
        });
      }
      case 'ApiKeyRevoked':
        return deleteGuarded(keys, id, event.position);
    }
  },
};
