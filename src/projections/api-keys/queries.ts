import type { ApiKeyKind } from '../../domain/access/events.js';
import type { ReadStore } from '../../infra/readstore/port.js';
import { API_KEYS } from './projection.js';

export interface ApiKeyView {
  _id: string;
  id: number;
  kind: ApiKeyKind;
  user: number;
  key: string;
  created_at: string;
}

/** API keys for admins; browser-extension keys of one user, or of everyone for an admin (`userId` null). */
export function listKeys(db: ReadStore, kind: ApiKeyKind, userId: number | null) {
  return db
    .collection<ApiKeyView>(API_KEYS)
    .find({ kind, ...(userId !== null ? { user: userId } : {}) }, { sort: { id: 1 } });
}

export const findKey = (db: ReadStore, id: number) => db.collection<ApiKeyView>(API_KEYS).findOne({ _id: String(id) });

/** The key as lists show it: masked. */
export const publicKey = (k: ApiKeyView) => ({ id: k.id, key: k.key, user: k.user, created_at: k.created_at });
