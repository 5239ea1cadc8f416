/**
 * Embedded read store: documents live in memory (sqlite-memory.ts, sqlite-collection.ts; MongoDB's
 * query and update language from mongo-dialect.ts) and are written behind to SQLite, one table per
 * collection (sqlite-write-behind.ts, sqlite-tables.ts). Each transaction also notes what it changed in
 * a change log (sqlite-change-log.ts), from which other processes that share the file (API processes
 * without a projector) refresh their in-memory view. Archive collections (the event log) stay on disk
 * only (sqlite-archive.ts).
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { BackgroundCheckpointer } from '../sqlite-checkpointer.js';
import type { Collection, CollectionOptions, Doc, ReadStore } from './port.js';
import { type ArchiveHost, ArchiveCollection } from './sqlite-archive.js';
import { ChangeLog } from './sqlite-change-log.js';
import { type MemoryHost, SqliteCollection } from './sqlite-collection.js';
import { MemCollection, deepFreeze } from './sqlite-memory.js';
import { SqliteTables, tableName } from './sqlite-tables.js';
import { WriteBehind } from './sqlite-write-behind.js';

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,100}$/;
/** Documents loadAll reads between two turns of the event loop: a few milliseconds of parsing. */
const LOAD_PAGE = 2000;

export interface SqliteReadStoreOptions {
  synchronous?: 'NORMAL' | 'FULL';
  /** How long writes may wait to share a transaction (0: until the end of the turn that made them). */
  writeBehindMs?: number;
}

export class SqliteReadStore implements ReadStore {
  private readonly collections = new Map<string, MemCollection>();
  /** Collections loadAll is reading into memory, not yet served. */
  private readonly loading = new Map<string, MemCollection>();
  /** Names of archive collections (kept on disk only), as recorded in the file. */
  private archives = new Set<string>();
  private readonly archiveFields = new Map<string, Set<string>>();
  private readonly tables: SqliteTables;
  private readonly changes: ChangeLog;
  private readonly writes: WriteBehind;
  /** What in-memory collections and archives need of this store. */
  private readonly memoryHost: MemoryHost;
  private readonly archiveHost: ArchiveHost;

  private constructor(
    private readonly db: Database.Database,
    private readonly checkpointer: BackgroundCheckpointer | null,
    writeBehindMs: number,
  ) {
    this.tables = new SqliteTables(db);
    this.changes = new ChangeLog(this.tables);
    this.writes = new WriteBehind(db, this.tables, this.changes, checkpointer, writeBehindMs);
    db.exec('CREATE TABLE IF NOT EXISTS archives (collection TEXT PRIMARY KEY)');
    this.loadArchives();
    const { tables, writes } = this;
    this.memoryHost = {
      mem: (name) => this.mem(name),
      written: (name, id, doc) => writes.written(name, id, doc),
      defineIndex: (name, fields, unique) => tables.defineIndex(name, fields, unique),
    };
    this.archiveHost = {
      stmt: (sql) => tables.stmt(sql),
      tableName,
      ensureTable: (name) => tables.create(name),
      indexedFields: (name) => this.indexedFields(name),
      defineArchiveIndex: (name, fields) => this.defineArchiveIndex(name, fields),
      pendingArchived: (name, id) => writes.pendingArchived(name, id),
      archived: (name, id, json) => writes.archived(name, id, json),
      flushNow: () => writes.flushNow(),
    };
  }

  static open(file: string, options: SqliteReadStoreOptions = {}): SqliteReadStore {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    // Archives are read from disk, one point lookup per insert among them: mapped pages spare a read() call each.
    db.pragma('mmap_size = 268435456');
    db.pragma('busy_timeout = 5000'); // an API process declaring an archive waits for the projector's write lock
    // A removed or rewritten document's bytes are overwritten with zeros, not left in free space (erasure).
    db.pragma('secure_delete = ON');
    return new SqliteReadStore(db, BackgroundCheckpointer.start(db, file), options.writeBehindMs ?? 0);
  }

  private loadArchives(): void {
    this.archives = new Set(
      (this.tables.stmt('SELECT collection FROM archives').all() as { collection: string }[]).map((r) => r.collection),
    );
  }

  collection<T extends Doc = Doc>(name: string, options: CollectionOptions = {}): Collection<T> {
    if (!NAME.test(name)) throw new Error(`Invalid collection name: ${name}`);
    if (options.archive && !this.archives.has(name)) {
      if (this.collections.has(name)) throw new Error(`${name} is already held in memory; it cannot become an archive`);
      this.tables.stmt('INSERT OR IGNORE INTO archives (collection) VALUES (?)').run(name);
      this.archives.add(name);
    }
    return this.archives.has(name)
      ? new ArchiveCollection<T>(name, this.archiveHost)
      : new SqliteCollection<T>(name, this.memoryHost);
  }

  private indexedFields(name: string): ReadonlySet<string> {
    let fields = this.archiveFields.get(name);
    if (!fields) {
      fields = new Set(this.tables.indexes(name).flatMap((index) => index.fields));
      this.archiveFields.set(name, fields);
    }
    return fields;
  }

  /** An expression index over the JSON documents; named uniquely, since a rename carries it to another table. */
  private defineArchiveIndex(name: string, fields: string[]): void {
    const columns = fields.map((f) => `json_extract(doc, '$.${f}')`).join(', ');
    this.db.transaction(() => {
      this.db.exec(`CREATE INDEX "ix_${randomUUID().replace(/-/g, '')}" ON "${tableName(name)}" (${columns})`);
      this.tables.defineIndex(name, fields, false);
    })();
    this.archiveFields.delete(name);
  }

  /** The in-memory collection, loaded from its table on first use. */
  private mem(name: string): MemCollection {
    let coll = this.collections.get(name);
    if (!coll) {
      if (this.archives.has(name)) throw new Error(`${name} is an archive, kept on disk only`);
      coll = new MemCollection();
      for (const json of this.tables.documents(name)) {
        const doc = deepFreeze(JSON.parse(json) as Doc);
        coll.docs.set(doc._id, doc);
      }
      for (const index of this.tables.indexes(name)) coll.addIndex(index.fields, index.unique);
      this.collections.set(name, coll);
    }
    return coll;
  }

  /**
   * Reads every collection (archives aside) into memory a page at a time, letting the event loop run
   * between pages: loaded on first use instead, a collection of a million documents is one synchronous
   * stretch of seconds. Collections already in memory are left as they are; one first used meanwhile
   * is loaded whole by that use.
   */
  async loadAll(onProgress?: (loaded: number, total: number) => void): Promise<void> {
    const names = this.tables.names().filter((n) => !this.archives.has(n) && !this.collections.has(n));
    const total = names.reduce((sum, name) => sum + this.tables.count(name), 0);
    let loaded = 0;
    onProgress?.(loaded, total);
    for (const name of names) {
      const coll = new MemCollection();
      for (const index of this.tables.indexes(name)) coll.addIndex(index.fields, index.unique);
      this.loading.set(name, coll);
      let after: number | string | null = null;
      do {
        const page = this.tables.page(name, after, LOAD_PAGE);
        for (const json of page.docs) {
          const doc = JSON.parse(json) as Doc;
          coll.replace(doc._id, doc);
        }
        loaded += page.docs.length;
        onProgress?.(loaded, total);
        after = page.next;
        await new Promise((resolve) => setImmediate(resolve));
      } while (after !== null && this.loading.get(name) === coll && !this.collections.has(name));
      // Unless used meanwhile (mem loaded it) or replaced whole by another process (sync dropped it).
      if (this.loading.get(name) === coll && !this.collections.has(name)) this.collections.set(name, coll);
      this.loading.delete(name);
    }
  }

  async flush(): Promise<void> {
    await this.writes.flush();
  }

  /**
   * Pending writes flushed, then the WAL copied into the file and truncated: the WAL's older frames
   * still hold the documents as they were before, and secure_delete has zeroed them in the file.
   */
  async purge(): Promise<void> {
    await this.writes.flush();
    for (let attempt = 0; ; attempt++) {
      const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (!result?.busy) return;
      if (attempt >= 50) throw new Error('The read store WAL could not be truncated: it stays busy');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Reloads what other processes changed since this view was last brought up to date. */
  async sync(): Promise<void> {
    this.loadArchives(); // another process may have declared one
    const changes = this.changes.since();
    if (!changes) {
      this.collections.clear(); // too far behind for the log: reload lazily from the tables
      this.loading.clear();
      return;
    }
    for (const { collection, id } of changes) {
      const cached = this.collections.get(collection) ?? this.loading.get(collection);
      if (!cached) continue;
      if (id === null) {
        this.collections.delete(collection);
        this.loading.delete(collection);
        continue;
      }
      const json = this.tables.document(collection, id);
      cached.replace(id, json ? (JSON.parse(json) as Doc) : null);
    }
  }

  async create(name: string): Promise<void> {
    this.tables.create(name);
  }

  async drop(name: string): Promise<void> {
    this.writes.flushNow();
    this.archiveFields.delete(name);
    this.db.transaction(() => {
      this.tables.drop(name);
      this.tables.stmt('DELETE FROM archives WHERE collection = ?').run(name);
      this.changes.noteCollection(name);
      this.changes.caughtUp();
    })();
    this.collections.delete(name);
    this.loading.delete(name);
    this.archives.delete(name);
  }

  async rename(from: string, to: string): Promise<void> {
    this.writes.flushNow();
    this.archiveFields.delete(from);
    this.archiveFields.delete(to);
    this.db.transaction(() => {
      this.changes.noteCollection(to);
      this.changes.noteCollection(from);
      this.tables.rename(from, to);
      this.tables.stmt('DELETE FROM archives WHERE collection = ?').run(to);
      this.tables.stmt('UPDATE archives SET collection = ? WHERE collection = ?').run(to, from);
      this.changes.caughtUp();
    })();
    this.loading.delete(from);
    this.loading.delete(to);
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
    this.writes.flushNow();
    return this.tables.names();
  }

  async ping(): Promise<void> {
    this.tables.stmt('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.writes.flushNow();
    await this.checkpointer?.stop();
    this.db.close();
  }
}
