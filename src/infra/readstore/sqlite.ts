/**
 * Embedded read store: documents live in memory (matched and modified by nedb's model, through the
 * MongoDB dialect shared with the nedb adapter) and are written behind to SQLite, one table per
 * collection. Every write made in one turn of the event loop (or, with `writeBehindMs`, within that
 * window) lands in one transaction, so a projection batch and its checkpoint reach the disk together or
 * not at all. Each transaction also
 * notes what it changed in a `changes` log, from which other processes that share the file (API
 * processes without a projector) refresh their in-memory view. Chosen over nedb on measured replay
 * speed (see bench/README.md).
 *
 * Stored documents are deep-frozen and handed to readers as they are (no copy per read): a write
 * replaces a document, never changes it in place. Archive collections (the event log) stay on disk
 * only (sqlite-archive.ts).
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { checkObject, deepCopy, match, modify } from '@seald-io/nedb/lib/model.js';
import { comparator, isOperatorObject, toQuery, toUpdate, upsertSeed } from './mongo-dialect.js';
import { type ArchiveHost, ArchiveCollection } from './sqlite-archive.js';
import { upsertOf } from './upsert-many.js';
import { BackgroundCheckpointer } from '../sqlite-checkpointer.js';
import {
  type Collection, type CollectionOptions, type Doc, DuplicateKeyError, type Filter, type FindOptions, type ReadStore, type Update,
} from './port.js';

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,100}$/;
const table = (name: string) => `doc_${name}`;
/**
 * Flush archive writes inside the write once this many wait, to bound memory in long synchronous runs
 * (a replay). Pending writes of in-memory collections only point at documents memory holds anyway, so
 * they wait for the end of the turn, and a replay writes each such document once, not once per event.
 */
const MAX_PENDING_ARCHIVED = 20_000;
/** The change log keeps this many entries; a reader further behind reloads everything. */
const CHANGES_KEPT = 100_000;
const TRIM_EVERY = 1000;
/** A flush that changes more documents of a collection than this logs the collection as a whole. */
const BULK_CHANGE = 1000;
/** A written row's share of pages, index entries and the change log, roughly, beyond its document. */
const ROW_OVERHEAD_BYTES = 200;

interface Index { fields: string[]; unique: boolean; entries: Map<string, Set<string>> }

class MemCollection {
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

function indexAdd(index: Index, doc: Doc): void {
  for (const key of indexKey(doc, index.fields)) {
    let ids = index.entries.get(key);
    if (!ids) index.entries.set(key, (ids = new Set()));
    ids.add(doc._id);
  }
}

function indexRemove(index: Index, doc: Doc): void {
  for (const key of indexKey(doc, index.fields)) index.entries.get(key)?.delete(doc._id);
}

/** Frozen documents can be shared with every reader: nobody can change one under another. */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}

export class SqliteReadStore implements ReadStore, ArchiveHost {
  private readonly collections = new Map<string, MemCollection>();
  /** collection → _id → the document to write, or null to delete. */
  private pending = new Map<string, Map<string, Doc | null>>();
  /** Archive collection → _id → the serialised document to write, or null to delete. */
  private pendingArchive = new Map<string, Map<string, string | null>>();
  private pendingCount = 0;
  private pendingArchivedCount = 0;
  private flushScheduled = false;
  private flushTimer: NodeJS.Timeout | null = null;
  /** Names of archive collections (kept on disk only), as recorded in the file. */
  private archives = new Set<string>();
  private readonly archiveFields = new Map<string, Set<string>>();

  private readonly statements = new Map<string, Database.Statement>();
  private readonly tables = new Set<string>();

  private checkpointer: BackgroundCheckpointer | null = null;
  /** About how many bytes the transaction being written holds (for the checkpointer). */
  private bytesWritten = 0;

  private constructor(
    private readonly db: Database.Database,
    /** 0: writes land at the end of the turn that made them; more: they wait up to this long to share a transaction. */
    private readonly writeBehindMs: number,
  ) {}

  /** Prepared once: preparing is a large part of a small write's cost. */
  stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  /** Forgets statements and table knowledge for a collection whose table was dropped or renamed. */
  private forgetTable(name: string): void {
    this.tables.delete(name);
    this.archiveFields.delete(name);
    for (const sql of this.statements.keys()) if (sql.includes(`"${table(name)}"`)) this.statements.delete(sql);
  }

  /**
   * `writeBehindMs` lets writes of several turns share one transaction (one commit per projection batch
   * costs a large share of a small command's round trip). Memory holds them meanwhile; what a crash loses
   * is rebuilt from the event log, as the checkpoint is written after the documents it guards and so
   * never reaches the disk without them.
   */
  static open(file: string, options: { synchronous?: 'NORMAL' | 'FULL'; writeBehindMs?: number } = {}): SqliteReadStore {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    // Archives are read from disk, one point lookup per insert among them: mapped pages spare a read() call each.
    db.pragma('mmap_size = 268435456');
    db.pragma('busy_timeout = 5000'); // an API process declaring an archive waits for the projector's write lock
    // Index definitions outlive the process; the indexes themselves are rebuilt in memory on load.
    db.exec('CREATE TABLE IF NOT EXISTS indexes (collection TEXT NOT NULL, fields TEXT NOT NULL, is_unique INTEGER NOT NULL, PRIMARY KEY (collection, fields))');
    // id NULL: the whole collection changed (renamed over or dropped).
    db.exec('CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, collection TEXT NOT NULL, id TEXT)');
    db.exec('CREATE TABLE IF NOT EXISTS archives (collection TEXT PRIMARY KEY)');
    const store = new SqliteReadStore(db, options.writeBehindMs ?? 0);
    store.checkpointer = BackgroundCheckpointer.start(db, file);
    store.seenSeq = store.maxSeq();
    store.loadArchives();
    return store;
  }

  private loadArchives(): void {
    this.archives = new Set((this.stmt('SELECT collection FROM archives').all() as { collection: string }[]).map((r) => r.collection));
  }

  /** The last entry of the change log this process's view includes. */
  private seenSeq = 0;

  private maxSeq(): number {
    return (this.stmt('SELECT COALESCE(MAX(seq), 0) AS seq FROM changes').get() as { seq: number }).seq;
  }

  collection<T extends Doc = Doc>(name: string, options: CollectionOptions = {}): Collection<T> {
    if (!NAME.test(name)) throw new Error(`Invalid collection name: ${name}`);
    if (options.archive && !this.archives.has(name)) {
      if (this.collections.has(name)) throw new Error(`${name} is already held in memory; it cannot become an archive`);
      this.stmt('INSERT OR IGNORE INTO archives (collection) VALUES (?)').run(name);
      this.archives.add(name);
    }
    return this.archives.has(name) ? new ArchiveCollection<T>(name, this) : new SqliteCollection<T>(name, this);
  }

  tableName(name: string): string {
    return table(name);
  }

  ensureTable(name: string): void {
    this.createTable(name);
  }

  indexedFields(name: string): ReadonlySet<string> {
    let fields = this.archiveFields.get(name);
    if (!fields) {
      const defined = this.stmt('SELECT fields FROM indexes WHERE collection = ?').all(name) as { fields: string }[];
      fields = new Set(defined.flatMap((d) => JSON.parse(d.fields) as string[]));
      this.archiveFields.set(name, fields);
    }
    return fields;
  }

  /** An expression index over the JSON documents; named uniquely, since a rename carries it to another table. */
  defineArchiveIndex(name: string, fields: string[]): void {
    const columns = fields.map((f) => `json_extract(doc, '$.${f}')`).join(', ');
    this.db.transaction(() => {
      this.db.exec(`CREATE INDEX "ix_${randomUUID().replace(/-/g, '')}" ON "${table(name)}" (${columns})`);
      this.defineIndex(name, fields, false);
    })();
    this.archiveFields.delete(name);
  }

  pendingArchived(name: string, id: string): string | null | undefined {
    return this.pendingArchive.get(name)?.get(id);
  }

  archived(name: string, id: string, json: string | null): void {
    let writes = this.pendingArchive.get(name);
    if (!writes) this.pendingArchive.set(name, (writes = new Map()));
    if (!writes.has(id)) this.pendingArchivedCount++;
    writes.set(id, json);
    if (this.pendingArchivedCount >= MAX_PENDING_ARCHIVED) this.flushArchives();
    else this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    if (this.writeBehindMs > 0) this.flushTimer = setTimeout(this.scheduledFlush, this.writeBehindMs);
    else setImmediate(this.scheduledFlush);
  }

  /** A flush that can wait: not while the checkpointer's worker restarts the WAL (a few ms; more writes join it). */
  private readonly scheduledFlush = () => {
    this.flushTimer = null;
    if (this.checkpointer && !this.checkpointer.beginWrite()) return this.checkpointer.whenOpen(this.scheduledFlush);
    this.flushNow(); // which ends the write begun here
  };

  /** The in-memory collection, loaded from its table on first use. */
  mem(name: string): MemCollection {
    let coll = this.collections.get(name);
    if (!coll) {
      if (this.archives.has(name)) throw new Error(`${name} is an archive, kept on disk only`);
      coll = new MemCollection();
      if (this.tableExists(name)) {
        for (const row of this.stmt(`SELECT doc FROM "${table(name)}"`).iterate() as Iterable<{ doc: string }>) {
          const doc = deepFreeze(JSON.parse(row.doc) as Doc);
          coll.docs.set(doc._id, doc);
        }
      }
      const defined = this.stmt('SELECT fields, is_unique FROM indexes WHERE collection = ?').all(name) as { fields: string; is_unique: number }[];
      for (const d of defined) coll.addIndex(JSON.parse(d.fields), d.is_unique === 1);
      this.collections.set(name, coll);
    }
    return coll;
  }

  defineIndex(name: string, fields: string[], unique: boolean): void {
    this.stmt('INSERT OR REPLACE INTO indexes (collection, fields, is_unique) VALUES (?, ?, ?)').run(name, JSON.stringify(fields), unique ? 1 : 0);
  }

  /** Records a write to persist; `doc` null deletes. */
  written(name: string, id: string, doc: Doc | null): void {
    let writes = this.pending.get(name);
    if (!writes) this.pending.set(name, (writes = new Map()));
    if (!writes.has(id)) this.pendingCount++;
    writes.set(id, doc);
    this.scheduleFlush();
  }

  async flush(): Promise<void> {
    while (this.checkpointer && !this.checkpointer.beginWrite()) await new Promise<void>((resolve) => this.checkpointer!.whenOpen(resolve));
    this.flushNow();
  }

  /** Writes everything pending, and notes it in the change log, in one transaction. */
  flushNow(): void {
    this.flushScheduled = false;
    if (this.flushTimer) clearTimeout(this.flushTimer); // flushed early (or closing): the window's flush is done
    this.flushTimer = null;
    if (!this.pendingCount && !this.pendingArchivedCount) return this.noteWritten(); // ends a write a waiting flush began
    const pending = this.pending;
    this.pending = new Map();
    this.pendingCount = 0;
    this.checkpointer?.beginWrite(); // a flush that cannot wait (or already began) writes anyway: SQLite's locks order it
    try {
      this.writeAll(pending);
    } finally {
      this.noteWritten();
    }
  }

  private writeAll(pending: Map<string, Map<string, Doc | null>>): void {
    const noteChange = this.stmt('INSERT INTO changes (collection, id) VALUES (?, ?)');
    // One statement logs all of a collection's changed ids: a statement per id cost ~5 % of a chunk's write.
    const noteChanges = this.stmt('INSERT INTO changes (collection, id) SELECT ?, value FROM json_each(?)');
    let last: number | bigint | undefined;
    this.db.transaction(() => {
      this.writeArchives();
      for (const [name, writes] of pending) {
        this.createTable(name);
        const upsert = this.stmt(`INSERT OR REPLACE INTO "${table(name)}" (id, doc) VALUES (?, ?)`);
        const remove = this.stmt(`DELETE FROM "${table(name)}" WHERE id = ?`);
        for (const [id, doc] of writes) {
          if (doc) {
            const json = JSON.stringify(doc);
            upsert.run(id, json);
            this.bytesWritten += json.length;
          } else remove.run(id);
        }
        this.bytesWritten += writes.size * ROW_OVERHEAD_BYTES;
        if (writes.size > BULK_CHANGE) last = noteChange.run(name, null).lastInsertRowid; // readers reload it whole (a replay, for one)
        else if (writes.size === 1) last = noteChange.run(name, writes.keys().next().value!).lastInsertRowid;
        else last = noteChanges.run(name, JSON.stringify([...writes.keys()])).lastInsertRowid;
      }
      if (last === undefined) return;
      const max = Number(last);
      // The log is trimmed now and then, not on every flush: a reader far behind reloads anyway.
      if (Math.floor(max / TRIM_EVERY) !== Math.floor(this.seenSeq / TRIM_EVERY)) this.stmt('DELETE FROM changes WHERE seq <= ?').run(max - CHANGES_KEPT);
      this.seenSeq = max;
    })();
  }

  private noteWritten(): void {
    this.checkpointer?.endWrite(this.bytesWritten);
    this.bytesWritten = 0;
  }

  /** Archive writes alone, when too many wait in a long synchronous run. */
  private flushArchives(): void {
    this.checkpointer?.beginWrite();
    try {
      this.db.transaction(() => this.writeArchives())();
    } finally {
      this.noteWritten();
    }
  }

  /** No change-log entries: no process holds an archive in memory. */
  private writeArchives(): void {
    if (!this.pendingArchivedCount) return;
    const pending = this.pendingArchive;
    this.pendingArchive = new Map();
    this.pendingArchivedCount = 0;
    for (const [name, writes] of pending) {
      this.createTable(name);
      const upsert = this.stmt(`INSERT OR REPLACE INTO "${table(name)}" (id, doc) VALUES (?, ?)`);
      const remove = this.stmt(`DELETE FROM "${table(name)}" WHERE id = ?`);
      for (const [id, json] of writes) {
        if (json !== null) {
          upsert.run(id, json);
          this.bytesWritten += json.length;
        } else remove.run(id);
      }
      this.bytesWritten += writes.size * ROW_OVERHEAD_BYTES;
    }
  }

  /** Reloads what other processes changed since this view was last brought up to date. */
  async sync(): Promise<void> {
    this.loadArchives(); // another process may have declared one
    const oldest = (this.stmt('SELECT COALESCE(MIN(seq), 0) AS seq FROM changes').get() as { seq: number }).seq;
    if (oldest > this.seenSeq + 1) {
      this.collections.clear(); // too far behind for the log: reload lazily from the tables
      this.seenSeq = this.maxSeq();
      return;
    }
    const rows = this.stmt('SELECT seq, collection, id FROM changes WHERE seq > ? ORDER BY seq').all(this.seenSeq) as
      { seq: number; collection: string; id: string | null }[];
    for (const { seq, collection, id } of rows) {
      this.seenSeq = seq;
      const cached = this.collections.get(collection);
      if (!cached) continue;
      if (id === null) {
        this.collections.delete(collection);
        continue;
      }
      const row = this.tableExists(collection)
        ? (this.stmt(`SELECT doc FROM "${table(collection)}" WHERE id = ?`).get(id) as { doc: string } | undefined)
        : undefined;
      cached.replace(id, row ? (JSON.parse(row.doc) as Doc) : null);
    }
  }

  async create(name: string): Promise<void> {
    this.createTable(name);
  }

  async drop(name: string): Promise<void> {
    this.flushNow();
    this.forgetTable(name);
    this.db.transaction(() => {
      this.db.exec(`DROP TABLE IF EXISTS "${table(name)}"`);
      this.stmt('DELETE FROM indexes WHERE collection = ?').run(name);
      this.stmt('DELETE FROM archives WHERE collection = ?').run(name);
      this.stmt('INSERT INTO changes (collection, id) VALUES (?, NULL)').run(name);
      this.seenSeq = this.maxSeq();
    })();
    this.collections.delete(name);
    this.archives.delete(name);
  }

  async rename(from: string, to: string): Promise<void> {
    this.flushNow();
    this.forgetTable(from);
    this.forgetTable(to);
    this.db.transaction(() => {
      this.stmt('INSERT INTO changes (collection, id) VALUES (?, NULL)').run(to);
      this.stmt('INSERT INTO changes (collection, id) VALUES (?, NULL)').run(from);
      this.createTable(from);
      this.db.exec(`DROP TABLE IF EXISTS "${table(to)}"`);
      this.db.exec(`ALTER TABLE "${table(from)}" RENAME TO "${table(to)}"`);
      this.stmt('DELETE FROM indexes WHERE collection = ?').run(to);
      this.stmt('UPDATE indexes SET collection = ? WHERE collection = ?').run(to, from);
      this.stmt('DELETE FROM archives WHERE collection = ?').run(to);
      this.stmt('UPDATE archives SET collection = ? WHERE collection = ?').run(to, from);
      this.seenSeq = this.maxSeq();
    })();
    if (this.archives.delete(from)) {
      this.archives.add(to);
      this.collections.delete(to);
      return;
    }
    this.archives.delete(to);
    const moved = this.mem(from);
    this.collections.delete(from);
    this.collections.set(to, moved);
  }

  async listCollections(): Promise<string[]> {
    this.flushNow();
    const rows = this.stmt(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'doc\\_%' ESCAPE '\\'`).all() as { name: string }[];
    return rows.map((r) => r.name.slice(4));
  }

  async ping(): Promise<void> {
    this.stmt('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.flushNow();
    await this.checkpointer?.stop();
    this.db.close();
  }

  private tableExists(name: string): boolean {
    return !!this.stmt(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table(name));
  }

  private createTable(name: string): void {
    if (this.tables.has(name)) return;
    // A rowid table (plus the primary key's index), not WITHOUT ROWID: documents of a kilobyte and more (document
    // chunks) are stored ~45 % cheaper so, since a WITHOUT ROWID b-tree keeps whole rows in its cells (SQLite advises
    // it only for rows under ~1/20 of a page); for small documents both layouts cost the same (bench/README.md).
    // Tables created earlier keep their layout: both answer the same statements.
    this.db.exec(`CREATE TABLE IF NOT EXISTS "${table(name)}" (id TEXT PRIMARY KEY, doc TEXT NOT NULL)`);
    this.tables.add(name);
  }
}

/** Index keys keep types apart (1 is not '1'); scalars are the common case and skip JSON. */
const keyOf = (v: unknown) => (typeof v === 'string' ? `s${v}` : typeof v === 'number' ? `n${v}` : `j${JSON.stringify(v)}`);

function indexKey(doc: Doc, fields: string[]): string[] {
  if (fields.length !== 1) return [keyOf(fields.map((f) => doc[f] ?? null))];
  const value = doc[fields[0]] ?? null;
  // An array field is indexed under each of its elements, as MongoDB's multikey indexes are.
  return Array.isArray(value) ? value.map(keyOf) : [keyOf(value)];
}

class SqliteCollection<T extends Doc> implements Collection<T> {
  constructor(readonly name: string, private readonly store: SqliteReadStore) {}

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
    const query = toQuery(filter);
    const out: Doc[] = [];
    for (const doc of this.candidates(filter)) {
      if (!match(doc, query)) continue;
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
    checkObject(doc); // keys MongoDB would refuse are refused here too
    this.put(null, deepFreeze(deepCopy(doc)));
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
    const created = this.updated(upsertSeed(filter) as Doc, update);
    if (typeof created._id !== 'string' || !created._id) throw new Error('An upsert needs a string _id in its filter or update');
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
      return this.updateOne({ _id: id, _pos: { $lt: position } }, { ...update, $set: { ...update.$set, _pos: position } }, { upsert });
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
      checkObject(doc); // keys MongoDB would refuse are refused here too
    }
    const { docs: stored } = this.mem;
    let written = 0;
    for (const doc of docs) {
      const previous = stored.get(doc._id) ?? null;
      // Like the guarded upsert: a stored document without a lower number there is left alone.
      if (guard !== undefined && previous && !(typeof previous[guard] === 'number' && previous[guard] < doc[guard])) continue;
      const next: Doc = previous ? { ...previous } : { _id: doc._id };
      for (const key in doc) {
        const value = doc[key];
        next[key] = value !== null && typeof value === 'object' ? deepCopy(value) : value;
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
          if (seen.has(key)) throw new DuplicateKeyError(`Cannot create unique index on ${fields.join(',')} in ${this.name}: duplicate ${key}`);
          seen.add(key);
        }
      }
    }
    this.mem.addIndex(fields, unique);
    this.store.defineIndex(this.name, fields, unique);
  }

  /** A changed copy (nedb's modify copies), frozen: stored documents are replaced, never mutated in place. */
  private updated(doc: Doc, update: Update): Doc {
    return deepFreeze(modify(doc, toUpdate(update)));
  }

  private put(previous: Doc | null, next: Doc): void {
    const { docs, indexes } = this.mem;
    for (const index of indexes) {
      if (!index.unique || unchangedFor(index, previous, next)) continue;
      for (const key of indexKey(next, index.fields)) {
        const owners = index.entries.get(key);
        if (owners && [...owners].some((o) => o !== next._id)) {
          throw new DuplicateKeyError(`Duplicate key ${key} for unique index on ${index.fields.join(',')} in ${this.name}`);
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

/** The document keeps the very values its index holds (a replaced document carries unchanged fields over). */
const unchangedFor = (index: Index, previous: Doc | null, next: Doc) => !!previous && index.fields.every((f) => previous[f] === next[f]);

const PLAIN_FIELD = /^[^$.][^.]*$/;
/** Field names already checked against PLAIN_FIELD: the same few come back for every event of a replay. */
const plainFields = new Map<string, boolean>();
const isPlainField = (field: string) => {
  let plain = plainFields.get(field);
  if (plain === undefined) {
    plain = field !== '_id' && PLAIN_FIELD.test(field);
    if (plainFields.size < 10_000) plainFields.set(field, plain);
  }
  return plain;
};
const isPrimitive = (v: unknown) => v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/**
 * The projections' guarded update (`applyGuarded`: `{_id, _pos: {$lt: n}}` with `$set`/`$inc` of
 * top-level fields to plain values), the one write a replay makes per event, done directly instead of
 * through nedb's matcher and modifier, with the same result. Answers undefined for anything else (the
 * general path decides), null when the guard does not match, else the document before (null: an
 * upsert creates it) and after.
 */
function guardedUpdate(docs: Map<string, Doc>, filter: Filter, update: Update, upsert: boolean): GuardedWrite | null | undefined {
  const id = filter._id;
  const guard = filter._pos;
  if (typeof id !== 'string' || guard === null || typeof guard !== 'object' || typeof guard.$lt !== 'number') return undefined;
  let keys = 0;
  for (const k in filter) keys++;
  if (keys !== 2) return undefined;
  keys = 0;
  for (const k in guard) keys++;
  if (keys !== 1) return undefined;
  return guardedWrite(docs, id, guard.$lt, update, upsert, undefined);
}

type GuardedWrite = { previous: Doc | null; next: Doc };

/**
 * The guarded update of document `id` below position `lt`, with `update` checked to be the simple
 * kind; `position`, when given, is also set as `_pos` (as applyGuarded adds it to `$set`).
 */
function guardedWrite(docs: Map<string, Doc>, id: string, lt: number, update: Update, upsert: boolean, position: number | undefined): GuardedWrite | null | undefined {
  const { $set, $inc } = update;
  let keys = 0;
  for (const k in update) keys++;
  if (keys !== ($set === undefined ? 0 : 1) + ($inc === undefined ? 0 : 1)) return undefined;
  if ($set !== undefined) {
    if ($set === null || typeof $set !== 'object') return undefined;
    for (const field in $set) if (!isPlainField(field) || !isPrimitive($set[field])) return undefined;
  }
  if ($inc !== undefined) {
    if ($inc === null || typeof $inc !== 'object') return undefined;
    for (const field in $inc) {
      if (!isPlainField(field) || typeof $inc[field] !== 'number' || ($set && field in $set) || (position !== undefined && field === '_pos')) return undefined;
    }
  }
  const previous = docs.get(id);
  if (!previous && upsert) return { previous: null, next: Object.freeze(upserted(id, update, position)) };
  // nedb compares numbers with numbers only: a document without a numeric _pos never matches $lt.
  if (!previous || typeof previous._pos !== 'number' || !(previous._pos < lt)) return null;
  const next: Doc = { ...previous, ...$set };
  if (position !== undefined) next._pos = position; // the guard needs it held already: its place stays
  if ($inc) {
    for (const field in $inc) {
      const by = $inc[field] as number;
      const current = previous[field];
      if (current === undefined) next[field] = by;
      else if (typeof current === 'number') next[field] = current + by;
      else return undefined; // nedb refuses it: let the general path say so
    }
  }
  return { previous, next: Object.freeze(next) };
}

/**
 * What the general path's upsert makes of `{_id: id}` and a checked `$set`/`$inc` of plain fields (nedb's
 * modify: the seed, then each modifier in the update's order; a missing field is `$inc`ed from 0): each
 * replayed aggregate's first event upserts, and the general path cost ≈ 10 µs per document. `position`
 * goes where applyGuarded puts `_pos`: last in `$set`, which it appends when the update has none.
 */
function upserted(id: string, update: Update, position: number | undefined): Doc {
  const doc: Doc = { _id: id };
  for (const modifier in update) {
    const fields = update[modifier] as Record<string, unknown>;
    for (const field in fields) doc[field] = fields[field];
    if (modifier === '$set' && position !== undefined) doc._pos = position;
  }
  if (position !== undefined) doc._pos = position;
  return doc;
}
