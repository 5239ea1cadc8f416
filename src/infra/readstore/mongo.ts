/** Production read store on MongoDB. The port is shaped like MongoDB, so this is a thin mapping. */
import {
  MongoBulkWriteError,
  MongoClient,
  MongoServerError,
  type Collection as MongoCollection,
  type Db,
} from 'mongodb';
import {
  DuplicateKeyError,
  type Collection,
  type CollectionOptions,
  type Doc,
  type Filter,
  type FindOptions,
  type ReadStore,
  type Update,
} from './port.js';
import { upsertOf } from './upsert-many.js';

const DUPLICATE_KEY = 11000;
const NAMESPACE_NOT_FOUND = 26;
const NAMESPACE_EXISTS = 48; // servers before 7.0 answer `create` of an existing collection with it

export class MongoReadStore implements ReadStore {
  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
  ) {}

  /** `dbName` defaults to the database named in the URL (or the driver's default, `test`). */
  static async connect(url: string, dbName?: string): Promise<MongoReadStore> {
    const client = await new MongoClient(url).connect();
    return new MongoReadStore(client, client.db(dbName));
  }

  collection<T extends Doc = Doc>(name: string, options: CollectionOptions = {}): Collection<T> {
    return new MongoReadCollection<T>(this.db.collection<Doc>(name), options.archive === true);
  }

  async create(name: string): Promise<void> {
    try {
      await this.db.createCollection(name);
    } catch (err) {
      if (!(err instanceof MongoServerError && err.code === NAMESPACE_EXISTS)) throw err;
    }
  }

  async drop(name: string): Promise<void> {
    try {
      await this.db.dropCollection(name);
    } catch (err) {
      if (!(err instanceof MongoServerError && err.code === NAMESPACE_NOT_FOUND)) throw err;
    }
  }

  async rename(from: string, to: string): Promise<void> {
    await this.db.renameCollection(from, to, { dropTarget: true });
  }

  async listCollections(): Promise<string[]> {
    const infos = await this.db.listCollections({}, { nameOnly: true }).toArray();
    return infos
      .map((info) => info.name)
      .filter((name) => !name.startsWith('system.'))
      .sort();
  }

  /** Every write is already durable and visible to every process. */
  async flush(): Promise<void> {}

  async sync(): Promise<void> {}

  /**
   * Nothing MongoDB offers from a client: WiredTiger reuses freed space in its own time, and its journal
   * and any backups keep older versions. docs/operations.md says what a deployment needs for erasure.
   */
  async purge(): Promise<void> {}

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

class MongoReadCollection<T extends Doc> implements Collection<T> {
  constructor(
    private readonly coll: MongoCollection<Doc>,
    private readonly archive = false,
  ) {}

  get name(): string {
    return this.coll.collectionName;
  }

  async findOne(filter: Filter): Promise<T | null> {
    return (await this.coll.findOne(filter)) as T | null;
  }

  async find(filter: Filter, options: FindOptions = {}): Promise<T[]> {
    let cursor = this.coll.find(filter);
    if (options.sort) cursor = cursor.sort(options.sort);
    if (options.skip) cursor = cursor.skip(options.skip);
    if (options.limit) cursor = cursor.limit(options.limit);
    return (await cursor.toArray()) as unknown as T[];
  }

  /**
   * countDocuments aggregates over every matching document: unfiltered on an archive (the event log,
   * counted for every page), that is the whole collection each time. The collection's metadata answers
   * that count at once (exact but after an unclean shutdown); a filter is answered through its index.
   */
  async count(filter: Filter): Promise<number> {
    if (this.archive && isEmpty(filter)) return this.coll.estimatedDocumentCount();
    return this.coll.countDocuments(filter);
  }

  async insertOne(doc: T): Promise<void> {
    await duplicateKeys(() => this.coll.insertOne(doc));
  }

  async updateOne(filter: Filter, update: Update, options: { upsert?: boolean } = {}) {
    const res = await duplicateKeys(() => this.coll.updateOne(filter, update, { upsert: options.upsert === true }));
    return { matched: res.matchedCount, upserted: res.upsertedCount > 0 };
  }

  async updateMany(filter: Filter, update: Update): Promise<{ matched: number }> {
    const res = await duplicateKeys(() => this.coll.updateMany(filter, update));
    return { matched: res.matchedCount };
  }

  /**
   * One unordered bulkWrite of guarded upserts. A duplicate key there is the guard at work (the stored
   * document already holds this position or a later one): skipped, as applyGuarded skips it.
   */
  async upsertMany(docs: readonly T[], options: { guard?: string } = {}): Promise<{ written: number }> {
    if (docs.length === 0) return { written: 0 };
    const ops = docs.map((doc) => {
      const { filter, update } = upsertOf(doc, options.guard);
      return { updateOne: { filter, update, upsert: true } };
    });
    try {
      const res = await this.coll.bulkWrite(ops, { ordered: false });
      return { written: res.matchedCount + res.upsertedCount };
    } catch (err) {
      if (!(err instanceof MongoBulkWriteError)) throw err;
      const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
      const onId = (e: (typeof errors)[number]) => e.code === DUPLICATE_KEY && /index: _id_ /.test(e.errmsg ?? '');
      const guarded = options.guard !== undefined && errors.every(onId);
      if (!guarded) throw errors.some((e) => e.code === DUPLICATE_KEY) ? new DuplicateKeyError(err.message) : err;
      return { written: err.result.matchedCount + err.result.upsertedCount };
    }
  }

  async deleteOne(filter: Filter): Promise<{ deleted: number }> {
    return { deleted: (await this.coll.deleteOne(filter)).deletedCount };
  }

  async deleteMany(filter: Filter): Promise<{ deleted: number }> {
    return { deleted: (await this.coll.deleteMany(filter)).deletedCount };
  }

  async ensureIndex(fields: string[], options: { unique?: boolean } = {}): Promise<void> {
    const keys = Object.fromEntries(fields.map((field) => [field, 1 as const]));
    await duplicateKeys(() => this.coll.createIndex(keys, { unique: options.unique === true }));
  }
}

function isEmpty(filter: Filter): boolean {
  for (const _ in filter) return false;
  return true;
}

/** E11000 (also raised by a guarded upsert whose `_id` exists) → the port's DuplicateKeyError. */
async function duplicateKeys<R>(op: () => Promise<R>): Promise<R> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof MongoServerError && err.code === DUPLICATE_KEY) throw new DuplicateKeyError(err.message);
    throw err;
  }
}
