/**
 * A collection of the embedded read store held in memory: reads answer from the documents and
 * indexes memory holds, writes replace frozen documents and tell the store what to write behind.
 */
import { applyUpdate, comparator, copyOf, isOperatorObject, matcher, upsertSeed } from './mongo-dialect.js';
import { type Collection, type Doc, DuplicateKeyError, type Filter, type FindOptions, type Update } from './port.js';
import { guardedUpdate, guardedWrite } from './sqlite-guarded.js';
import {
  type MemCollection,
  deepFreeze,
  indexAdd,
  indexKey,
  indexRemove,
  keyOf,
  unchangedFor,
} from './sqlite-memory.js';
import { upsertOf } from './upsert-many.js';
import { assertStorableFields, assertStorableUpdate } from './storable-fields.js';

/** What an in-memory collection needs from its store. */
export interface MemoryHost {
  /** The collection's documents and indexes, loaded on first use. */
  mem(name: string): MemCollection;
  /** Records a write to persist; `doc` null deletes. */
  written(name: string, id: string, doc: Doc | null): void;
  defineIndex(name: string, fields: string[], unique: boolean): void;
}

/** A filter of one string `_id` and nothing else. */
function isIdOnly(filter: Filter): filter is { _id: string } {
  if (typeof filter._id !== 'string') return false;
  for (const key in filter) if (key !== '_id') return false;
  return true;
}

export class SqliteCollection<T extends Doc> implements Collection<T> {
  constructor(
    readonly name: string,
    private readonly store: MemoryHost,
  ) {}

  private get mem() {
    return this.store.mem(this.name);
  }

  /** The documents a filter can match: by _id or an indexed field when it pins one, else all. */
  private candidates(filter: Filter): Iterable<Doc> {
    const { docs, indexes } = this.mem;
    const id = filter._id;
    if (typeof id === 'string') {
      const doc = docs.get(id);
      return doc ? [doc] : [];
    }
    for (const index of indexes) {
      if (index.fields.length !== 1) continue;
      const value = filter[index.fields[0]];
      if (value === undefined || isOperatorObject(value) || value instanceof RegExp) continue;
      const ids = index.entries.get(keyOf(value)) ?? new Set<string>();
      return [...ids].map((i) => docs.get(i)!);
    }
    return docs.values();
  }

  private matching(filter: Filter, first = false): Doc[] {
    if (isIdOnly(filter)) {
      // `{_id: '12'}` (every lookup of one document): the document under that key is the answer, no matcher.
      const doc = this.mem.docs.get(filter._id);
      return doc ? [doc] : [];
    }
    const matches = matcher(filter);
    const out: Doc[] = [];
    for (const doc of this.candidates(filter)) {
      if (!matches(doc)) continue;
      out.push(doc);
      if (first) break;
    }
    return out;
  }

  async findOne(filter: Filter): Promise<T | null> {
    const [doc] = this.matching(filter, true);
    return (doc as T | undefined) ?? null;
  }

  async find(filter: Filter, options: FindOptions = {}): Promise<T[]> {
    const docs = this.matching(filter);
    if (options.sort) docs.sort(comparator(options.sort));
    const start = options.skip ?? 0;
    const end = options.limit ? start + options.limit : undefined;
    return docs.slice(start, end) as T[];
  }

  async count(filter: Filter): Promise<number> {
    return Object.keys(filter).length ? this.matching(filter).length : this.mem.docs.size;
  }

  async insertOne(doc: T): Promise<void> {
    if (typeof doc._id !== 'string') throw new Error('Documents need a string _id');
    if (this.mem.docs.has(doc._id)) throw new DuplicateKeyError(`Duplicate _id ${doc._id} in ${this.name}`);
    assertStorableFields(doc); // keys MongoDB would refuse are refused here too
    this.put(null, deepFreeze(copyOf(doc)));
  }

  async updateOne(filter: Filter, update: Update, options: { upsert?: boolean } = {}) {
    const guarded = guardedUpdate(this.mem.docs, filter, update, !!options.upsert);
    if (guarded !== undefined) {
      if (guarded) {
        this.put(guarded.previous, guarded.next);
        return guarded.previous ? { matched: 1, upserted: false } : { matched: 0, upserted: true };
      }
      if (!options.upsert) return { matched: 0, upserted: false };
    }
    const [doc] = guarded === undefined ? this.matching(filter, true) : [];
    if (doc) {
      this.put(doc, this.updated(doc, update));
      return { matched: 1, upserted: false };
    }
    if (!options.upsert) return { matched: 0, upserted: false };
    const created = this.updated(upsertSeed(filter), update);
    if (typeof created._id !== 'string' || !created._id)
      throw new Error('An upsert needs a string _id in its filter or update');
    if (this.mem.docs.has(created._id)) throw new DuplicateKeyError(`Duplicate _id ${created._id} in ${this.name}`);
    this.put(null, created);
    return { matched: 0, upserted: true };
  }

  /**
   * applyGuarded's write without building its filter and update: the same as `updateOne({_id: id, _pos:
   * {$lt: position}}, {...update, $set: {...update.$set, _pos: position}}, {upsert})`, except that an
   * upsert of an event the document holds already answers without raising DuplicateKeyError. Synchronous
   * (answers undefined) unless the update needs the general path.
   */
  updateGuarded(id: string, position: number, update: Update, upsert: boolean): Promise<unknown> | undefined {
    const write = guardedWrite(this.mem.docs, id, position, update, upsert, position);
    if (write === undefined) {
      return this.updateOne(
        { _id: id, _pos: { $lt: position } },
        { ...update, $set: { ...update.$set, _pos: position } },
        { upsert },
      );
    }
    if (write) this.put(write.previous, write.next);
    return undefined;
  }

  async updateMany(filter: Filter, update: Update) {
    const matched = this.matching(filter);
    for (const doc of matched) this.put(doc, this.updated(doc, update));
    return { matched: matched.length };
  }

  /**
   * Straight into memory, no matcher or modifier per document: the same result as one guarded
   * `updateOne` upsert each (upsertOneByOne). The whole batch is checked before any of it is written.
   */
  async upsertMany(docs: readonly T[], options: { guard?: string } = {}): Promise<{ written: number }> {
    const { guard } = options;
    for (const doc of docs) {
      upsertOf(doc, guard); // a bad batch is refused before any of it lands
      assertStorableFields(doc); // keys MongoDB would refuse are refused here too
    }
    const { docs: stored } = this.mem;
    let written = 0;
    for (const doc of docs) {
      const previous = stored.get(doc._id) ?? null;
      // Like the guarded upsert: a stored document without a lower number there is left alone.
      if (guard !== undefined && previous && !(typeof previous[guard] === 'number' && previous[guard] < doc[guard]))
        continue;
      const next: Doc = previous ? { ...previous } : { _id: doc._id };
      for (const key in doc) {
        const value = doc[key];
        next[key] = value !== null && typeof value === 'object' ? copyOf(value) : value;
      }
      this.put(previous, deepFreeze(next));
      written++;
    }
    return { written };
  }

  async deleteOne(filter: Filter) {
    const [doc] = this.matching(filter, true);
    if (!doc) return { deleted: 0 };
    this.remove(doc);
    return { deleted: 1 };
  }

  async deleteMany(filter: Filter) {
    const docs = this.matching(filter);
    for (const doc of docs) this.remove(doc);
    return { deleted: docs.length };
  }

  async ensureIndex(fields: string[], options: { unique?: boolean } = {}): Promise<void> {
    const unique = !!options.unique;
    if (unique) {
      const seen = new Set<string>();
      for (const doc of this.mem.docs.values()) {
        for (const key of indexKey(doc, fields)) {
          if (seen.has(key))
            throw new DuplicateKeyError(
              `Cannot create unique index on ${fields.join(',')} in ${this.name}: duplicate ${key}`,
            );
          seen.add(key);
        }
      }
    }
    this.mem.addIndex(fields, unique);
    this.store.defineIndex(this.name, fields, unique);
  }

  /** A changed copy, frozen: stored documents are replaced, never mutated in place. */
  private updated(doc: Doc, update: Update): Doc {
    assertStorableUpdate(update); // keys MongoDB would refuse are refused here too
    const next = applyUpdate(doc, update);
    assertStorableFields(next);
    return deepFreeze(next);
  }

  private put(previous: Doc | null, next: Doc): void {
    const { docs, indexes } = this.mem;
    for (const index of indexes) {
      if (!index.unique || unchangedFor(index, previous, next)) continue;
      for (const key of indexKey(next, index.fields)) {
        const owners = index.entries.get(key);
        if (owners && [...owners].some((o) => o !== next._id)) {
          throw new DuplicateKeyError(
            `Duplicate key ${key} for unique index on ${index.fields.join(',')} in ${this.name}`,
          );
        }
      }
    }
    for (const index of indexes) {
      if (unchangedFor(index, previous, next)) continue;
      if (previous) indexRemove(index, previous);
      indexAdd(index, next);
    }
    docs.set(next._id, next);
    this.store.written(this.name, next._id, next);
  }

  private remove(doc: Doc): void {
    const { docs, indexes } = this.mem;
    for (const index of indexes) indexRemove(index, doc);
    docs.delete(doc._id);
    this.store.written(this.name, doc._id, null);
  }
}
