/**
 * The read store port, shaped like MongoDB: filters, sorts and update operators are MongoDB
 * documents. Adapters: embedded (SQLite, documents held in memory) and MongoDB. Supported filter operators:
 * equality, $eq $ne $gt $gte $lt $lte $in $nin $exists $regex $and $or. Update operators:
 * $set $unset $inc $push $pull $addToSet. Documents are keyed by a string `_id`.
 */

/* eslint-disable @typescript-eslint/no-explicit-any -- read models are schemaless documents, as in MongoDB */
export type Doc = { _id: string } & Record<string, any>;
export type Filter = Record<string, any>;
export type Update = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */
export type Sort = Record<string, 1 | -1>;

export interface FindOptions {
  sort?: Sort;
  skip?: number;
  limit?: number;
}

/**
 * `archive`: a large, append-mostly collection read a page at a time (the event log). A store that
 * serves collections from memory keeps an archive on disk only and answers it from its indexes there.
 * A store remembers the declaration (across processes and renames), so later calls need not repeat it.
 * Every document of an archive holds a string, a number or null under each indexed field.
 */
export interface CollectionOptions {
  archive?: boolean;
}

export interface Collection<T extends Doc = Doc> {
  readonly name: string;
  findOne(filter: Filter): Promise<T | null>;
  find(filter: Filter, options?: FindOptions): Promise<T[]>;
  count(filter: Filter): Promise<number>;
  insertOne(doc: T): Promise<void>;
  /** Returns how many documents matched (0 or 1); with upsert, inserts when none matched. */
  updateOne(
    filter: Filter,
    update: Update,
    options?: { upsert?: boolean },
  ): Promise<{ matched: number; upserted: boolean }>;
  /**
   * Optional, for applyGuarded (projections/shared/projection.ts), which otherwise calls
   * `updateOne({_id: id, _pos: {$lt: position}}, {...update, $set: {...update.$set, _pos: position}}, {upsert})`:
   * the same write without the caller building those objects (a replay makes one per event). An upsert
   * of an event the document holds already may answer instead of raising DuplicateKeyError. May answer
   * undefined when it is done synchronously.
   */
  updateGuarded?(id: string, position: number, update: Update, upsert: boolean): Promise<unknown> | undefined;
  updateMany(filter: Filter, update: Update): Promise<{ matched: number }>;
  /**
   * Upserts many documents by `_id` in one call: each document's fields are set as `$set` would set
   * them, inserting the document when none has its `_id`. With `guard` (a numeric field every given
   * document holds, such as a projection's `_pos`), a stored document is changed only while its own
   * value of that field is a number lower than the new one (the bulk form of `applyGuarded`, so a
   * redelivered batch changes nothing). Answers how many documents were written.
   */
  upsertMany(docs: readonly T[], options?: { guard?: string }): Promise<{ written: number }>;
  deleteOne(filter: Filter): Promise<{ deleted: number }>;
  deleteMany(filter: Filter): Promise<{ deleted: number }>;
  ensureIndex(fields: string[], options?: { unique?: boolean }): Promise<void>;
}

export interface ReadStore {
  collection<T extends Doc = Doc>(name: string, options?: CollectionOptions): Collection<T>;
  /** Creates the collection, empty, unless it exists (MongoDB renames only a collection that exists). */
  create(name: string): Promise<void>;
  /** Removes a collection and its documents. */
  drop(name: string): Promise<void>;
  /** Replaces `to` with `from` (used by replay to switch to freshly built collections). */
  rename(from: string, to: string): Promise<void>;
  listCollections(): Promise<string[]>;
  /** Makes everything written so far durable and visible to other processes (before announcing it). */
  flush(): Promise<void>;
  /** Brings this process's view up to date with what other processes wrote (stores that cache). */
  sync(): Promise<void>;
  /**
   * After an erasure: makes what was written so far durable and leaves no bytes of removed or
   * overwritten documents in the store's own files, where the store can see to that.
   */
  purge(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A unique index was violated. */
export class DuplicateKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DuplicateKeyError';
  }
}
