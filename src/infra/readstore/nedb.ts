/**
 * Embedded read store on @seald-io/nedb: one datastore per collection, persisted as an
 * append-only `<dir>/<name>.db` file (or kept in memory when dir is null, for tests).
 * nedb speaks a MongoDB dialect; toQuery/toUpdate below close the gaps that matter so the
 * same contract suite passes here and on MongoDB.
 */
import Datastore from '@seald-io/nedb';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DuplicateKeyError,
  type Collection,
  type Doc,
  type Filter,
  type FindOptions,
  type ReadStore,
  type Update,
} from './port.js';
import { isOperatorObject, toQuery, toUpdate } from './mongo-dialect.js';
import { upsertOneByOne } from './upsert-many.js';

/** Rewrite a file once it holds this many superseded lines (and at least as many as live docs). */
const MIN_WRITES_BEFORE_COMPACTION = 10_000;

interface Entry {
  ds: Datastore;
  loaded: Promise<void>;
  writes: number;
  compactAfter: number;
}

export class NedbReadStore implements ReadStore {
  private readonly entries = new Map<string, Entry>();
  /** Names being renamed or dropped, with a promise that settles when that is done. */
  private readonly gates = new Map<string, Promise<void>>();
  private closed = false;

  private constructor(private readonly dir: string | null) {}

  /** `dir` null keeps everything in memory. */
  static async open(dir: string | null): Promise<NedbReadStore> {
    if (dir !== null) await mkdir(dir, { recursive: true });
    return new NedbReadStore(dir);
  }

  collection<T extends Doc = Doc>(name: string): Collection<T> {
    checkName(name);
    // The wrapper resolves the datastore on every call, so rename/drop swaps are seen at once.
    return new NedbCollection<T>(name, () => this.entry(name));
  }

  async create(name: string): Promise<void> {
    checkName(name);
    await (await this.entry(name)).loaded;
  }

  async drop(name: string): Promise<void> {
    checkName(name);
    await this.swapping([name], async () => {
      const entry = this.entries.get(name);
      this.entries.delete(name);
      if (entry) {
        await entry.loaded.catch(() => undefined);
        await entry.ds.dropDatabaseAsync(); // waits for queued operations, then deletes the file
      }
      if (this.dir !== null) {
        await rm(this.file(name), { force: true });
        await rm(`${this.file(name)}~`, { force: true });
      }
    });
  }

  async rename(from: string, to: string): Promise<void> {
    checkName(from);
    checkName(to);
    if (from === to) throw new Error(`Cannot rename collection ${from} onto itself`);
    await this.swapping([from, to], async () => {
      const source = await this.load(from);
      const target = this.entries.get(to);
      this.entries.delete(from);
      this.entries.delete(to);
      if (target) {
        await target.loaded.catch(() => undefined);
        // A read goes through nedb's queue, so once it answers no write of `to` is pending.
        await target.ds.findOneAsync({ _id: '\u0000' });
      }
      if (this.dir === null) {
        this.entries.set(to, source);
        return;
      }
      // Rewrite `from` in full (fsynced, crash-safe), then atomically rename it over `to`.
      await source.ds.compactDatafileAsync();
      await rename(this.file(from), this.file(to));
      await syncDir(this.dir);
      // nedb keeps its filename privately, so `to` is reloaded from the renamed file on next use.
    });
  }

  async listCollections(): Promise<string[]> {
    const names = new Set(this.entries.keys());
    if (this.dir !== null) {
      for (const file of await readdir(this.dir)) {
        if (file.endsWith('.db')) names.add(file.slice(0, -3));
      }
    }
    return [...names].sort();
  }

  /** nedb appends each write as it happens. */
  async flush(): Promise<void> {}

  /** One process per nedb directory: there is nothing written elsewhere to see. */
  async sync(): Promise<void> {}

  async ping(): Promise<void> {
    if (this.closed) throw new Error('NedbReadStore is closed');
  }

  /** Compacts every loaded collection, which also flushes and fsyncs it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(
      entries.map(async (entry) => {
        await entry.loaded.catch(() => undefined);
        if (this.dir !== null) await entry.ds.compactDatafileAsync();
      }),
    );
  }

  /** Waits out a rename or drop of this name, so no caller sees a half-swapped collection. */
  private async entry(name: string): Promise<Entry> {
    for (let gate = this.gates.get(name); gate; gate = this.gates.get(name)) await gate;
    return this.load(name);
  }

  /** Loads the collection's datastore on first use; later calls share the same load. */
  private async load(name: string): Promise<Entry> {
    if (this.closed) throw new Error('NedbReadStore is closed');
    let entry = this.entries.get(name);
    if (!entry) {
      const ds = new Datastore(this.dir === null ? { inMemoryOnly: true } : { filename: this.file(name) });
      const created: Entry = { ds, loaded: ds.loadDatabaseAsync(), writes: 0, compactAfter: MIN_WRITES_BEFORE_COMPACTION };
      // A failed load is not cached: the next call retries.
      created.loaded.catch(() => {
        if (this.entries.get(name) === created) this.entries.delete(name);
      });
      this.entries.set(name, created);
      entry = created;
    }
    await entry.loaded;
    return entry;
  }

  /** Runs `swap` while calls on these names wait (see entry()); swaps of the same names queue up. */
  private async swapping(names: string[], swap: () => Promise<void>): Promise<void> {
    while (names.some((name) => this.gates.has(name))) await Promise.all(names.map((name) => this.gates.get(name)));
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    for (const name of names) this.gates.set(name, gate);
    try {
      await swap();
    } finally {
      for (const name of names) if (this.gates.get(name) === gate) this.gates.delete(name);
      open();
    }
  }

  private file(name: string): string {
    return join(this.dir as string, `${name}.db`);
  }
}

class NedbCollection<T extends Doc> implements Collection<T> {
  constructor(
    readonly name: string,
    private readonly entry: () => Promise<Entry>,
  ) {}

  async findOne(filter: Filter): Promise<T | null> {
    const { ds } = await this.entry();
    return (await ds.findOneAsync(toQuery(filter))) as unknown as T | null;
  }

  async find(filter: Filter, options: FindOptions = {}): Promise<T[]> {
    const { ds } = await this.entry();
    let cursor = ds.findAsync(toQuery(filter));
    if (options.sort) cursor = cursor.sort(options.sort);
    if (options.skip) cursor = cursor.skip(options.skip);
    if (options.limit) cursor = cursor.limit(options.limit);
    return (await cursor) as unknown as T[];
  }

  async count(filter: Filter): Promise<number> {
    const { ds } = await this.entry();
    return (await ds.countAsync(toQuery(filter))) as unknown as number;
  }

  async insertOne(doc: T): Promise<void> {
    const entry = await this.entry();
    await this.write(entry, 1, () => entry.ds.insertAsync(doc));
  }

  async updateOne(filter: Filter, update: Update, options: { upsert?: boolean } = {}) {
    const entry = await this.entry();
    const upsert = options.upsert === true;
    // nedb builds an upserted doc from the query's top-level plain fields, which toQuery keeps
    // to the filter's equality fields, as MongoDB does.
    const res = await this.write(entry, 1, () =>
      entry.ds.updateAsync(toQuery(filter, upsert), toUpdate(update), { upsert }),
    );
    return res.upsert ? { matched: 0, upserted: true } : { matched: res.numAffected, upserted: false };
  }

  async updateMany(filter: Filter, update: Update): Promise<{ matched: number }> {
    const entry = await this.entry();
    const res = await this.write(entry, 0, () => entry.ds.updateAsync(toQuery(filter), toUpdate(update), { multi: true }));
    this.noteWrites(entry, res.numAffected);
    return { matched: res.numAffected };
  }

  async upsertMany(docs: readonly T[], options: { guard?: string } = {}): Promise<{ written: number }> {
    return upsertOneByOne(this, docs, options.guard);
  }

  async deleteOne(filter: Filter): Promise<{ deleted: number }> {
    const entry = await this.entry();
    return { deleted: await this.write(entry, 1, () => entry.ds.removeAsync(toQuery(filter), { multi: false })) };
  }

  async deleteMany(filter: Filter): Promise<{ deleted: number }> {
    const entry = await this.entry();
    const deleted = await this.write(entry, 0, () => entry.ds.removeAsync(toQuery(filter), { multi: true }));
    this.noteWrites(entry, deleted);
    return { deleted };
  }

  async ensureIndex(fields: string[], options: { unique?: boolean } = {}): Promise<void> {
    const entry = await this.entry();
    const fieldName = fields.length === 1 ? fields[0] : fields;
    await this.write(entry, 1, () => entry.ds.ensureIndexAsync({ fieldName, unique: options.unique === true }));
  }

  private async write<R>(entry: Entry, lines: number, op: () => Promise<R>): Promise<R> {
    try {
      const result = await op();
      this.noteWrites(entry, lines);
      return result;
    } catch (err) {
      if ((err as { errorType?: string }).errorType === 'uniqueViolated') {
        throw new DuplicateKeyError(`${this.name}: duplicate key ${String((err as { key?: unknown }).key)}`);
      }
      throw err;
    }
  }

  /** nedb appends a line per change; rewrite the file once most of it is superseded. */
  private noteWrites(entry: Entry, lines: number): void {
    entry.writes += lines;
    if (entry.writes < entry.compactAfter) return;
    entry.writes = 0;
    entry.compactAfter = Math.max(MIN_WRITES_BEFORE_COMPACTION, entry.ds.getAllData().length);
    // Queued behind pending writes. A failed compaction leaves the append-only file valid;
    // the next threshold or close() tries again.
    entry.ds.compactDatafileAsync().catch(() => undefined);
  }
}

function checkName(name: string): void {
  // Names become file names.
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) || name.length > 120) {
    throw new Error(`Invalid collection name: ${JSON.stringify(name)}`);
  }
}

/** Makes a rename durable. Some platforms cannot fsync a directory; nothing more can be done there. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // EPERM/EISDIR/EINVAL on platforms without directory fsync.
  } finally {
    await handle.close();
  }
}
