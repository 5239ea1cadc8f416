/**
 * The in-memory side of the embedded read store: a collection's documents by `_id` and its indexes.
 * Stored documents are deep-frozen and handed to readers as they are (no copy per read): a write
 * replaces a document, never changes it in place.
 */
import type { Doc } from './port.js';

export interface Index {
  fields: string[];
  unique: boolean;
  entries: Map<string, Set<string>>;
}

export class MemCollection {
  readonly docs = new Map<string, Doc>();
  readonly indexes: Index[] = [];

  /** Takes another process's version of a document (null: it was deleted). */
  replace(id: string, doc: Doc | null): void {
    if (doc) deepFreeze(doc);
    const previous = this.docs.get(id);
    if (previous) for (const index of this.indexes) indexRemove(index, previous);
    if (!doc) {
      this.docs.delete(id);
      return;
    }
    for (const index of this.indexes) indexAdd(index, doc);
    this.docs.set(id, doc);
  }

  addIndex(fields: string[], unique: boolean): void {
    if (this.indexes.some((i) => i.fields.join() === fields.join())) return;
    const index: Index = { fields, unique, entries: new Map() };
    for (const doc of this.docs.values()) indexAdd(index, doc);
    this.indexes.push(index);
  }
}

export function indexAdd(index: Index, doc: Doc): void {
  for (const key of indexKey(doc, index.fields)) {
    let ids = index.entries.get(key);
    if (!ids) index.entries.set(key, (ids = new Set()));
    ids.add(doc._id);
  }
}

export function indexRemove(index: Index, doc: Doc): void {
  for (const key of indexKey(doc, index.fields)) index.entries.get(key)?.delete(doc._id);
}

/** Index keys keep types apart (1 is not '1'); scalars are the common case and skip JSON. */
export const keyOf = (v: unknown) =>
  typeof v === 'string' ? `s${v}` : typeof v === 'number' ? `n${v}` : `j${JSON.stringify(v)}`;

export function indexKey(doc: Doc, fields: string[]): string[] {
  if (fields.length !== 1) return [keyOf(fields.map((f) => doc[f] ?? null))];
  const value = doc[fields[0]] ?? null;
  // An array field is indexed under each of its elements, as MongoDB's multikey indexes are.
  return Array.isArray(value) ? value.map(keyOf) : [keyOf(value)];
}

/** The document keeps the very values its index holds (a replaced document carries unchanged fields over). */
export const unchangedFor = (index: Index, previous: Doc | null, next: Doc) =>
  !!previous && index.fields.every((f) => previous[f] === next[f]);

/** Frozen documents can be shared with every reader: nobody can change one under another. */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}
