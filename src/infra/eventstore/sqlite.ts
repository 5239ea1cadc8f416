/**
 * Embedded event store on one SQLite file (better-sqlite3, WAL). Several processes may share the
 * file: writers serialize on SQLite's write lock (appends of one turn share a commit:
 * sqlite-group-commit.ts), and subscriptions poll for appends they did not make (sqlite-subscription.ts).
 */
import { EventEmitter } from 'node:events';
import Database from 'better-sqlite3';
import { BackgroundCheckpointer } from '../sqlite-checkpointer.js';
import {
  type AppendResult,
  type BatchHandler,
  type ChainHead,
  type DataEquals,
  type EventStore,
  type EventJson,
  type EventToAppend,
  type ExpectedRevision,
  jsonWithinAppendSize,
  type ReadAllOptions,
  type ReadStoredOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StoredEvent,
  type SubscribeOptions,
  type Subscription,
} from './port.js';
import { type AppendedGroup, GroupCommit } from './sqlite-group-commit.js';
import {
  COLUMNS,
  type EventRow,
  STORED_COLUMNS,
  dataFieldSql,
  ensureSchema,
  eventRows,
  rowBytes,
  toLeanRecorded,
  toRecorded,
} from './sqlite-rows.js';
import { type CatchUpLimits, SqliteSubscription, type SubscriptionSource } from './sqlite-subscription.js';

// For the event-log reader beside this adapter (sqlite-event-logs.ts), which reads the same table.
export { COLUMNS, type EventRow, eventRows, toRecorded } from './sqlite-rows.js';

export interface SqliteEventStoreOptions {
  synchronous?: 'NORMAL' | 'FULL';
  /** How often live subscriptions look for appends made by other processes. */
  pollIntervalMs?: number;
  /** How much a subscription's batch may hold: 1,000 events and 16 MiB of event JSON unless given. */
  catchUp?: Partial<CatchUpLimits>;
}

const CATCH_UP_EVENTS = 1000;
/** Chunk events carry up to ~1 MB of text each: a thousand of them must not wait in memory at once. */
const CATCH_UP_BYTES = 16 * 1024 * 1024;

export class SqliteEventStore implements EventStore, SubscriptionSource {
  private readonly appended = new EventEmitter();
  private readonly subscriptions = new Set<SqliteSubscription>();
  private closed = false;
  private readonly stmt;
  private readonly groups: GroupCommit;
  /** Statements of reads filtered by a data field, one per field (and with or without types). */
  private readonly matching = new Map<string, Database.Statement<unknown[], EventRow>>();

  private constructor(
    private readonly db: Database.Database,
    private readonly checkpointer: BackgroundCheckpointer | null,
    readonly pollIntervalMs: number,
    readonly catchUp: CatchUpLimits,
  ) {
    this.stmt = {
      forwards: eventRows<[string, number, number]>(
        db,
        `SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
      ),
      backwards: eventRows<[string, number, number]>(
        db,
        `SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
      ),
      all: eventRows<[number, number]>(
        db,
        `SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
      ),
      allOfTypes: eventRows<[number, string, number]>(
        db,
        `SELECT ${COLUMNS} FROM events WHERE position > ? AND type IN (SELECT value FROM json_each(?)) ORDER BY position LIMIT ?`,
      ),
      range: eventRows<[number, number, number]>(
        db,
        `SELECT ${COLUMNS} FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?`,
      ),
      rangeOfTypes: eventRows<[number, number, string, number]>(
        db,
        `SELECT ${COLUMNS} FROM events WHERE position > ? AND position <= ? AND type IN (SELECT value FROM json_each(?)) ORDER BY position LIMIT ?`,
      ),
      stored: db.prepare<[number, number], StoredEvent>(
        `SELECT ${STORED_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
      ),
      storedOfTypes: db.prepare<[number, string, number], StoredEvent>(
        `SELECT ${STORED_COLUMNS} FROM events WHERE position > ? AND type IN (SELECT value FROM json_each(?)) ORDER BY position LIMIT ?`,
      ),
      head: db.prepare<[], { head: number }>('SELECT COALESCE(MAX(position), 0) AS head FROM events'),
      chainHead: db.prepare<[], ChainHead>('SELECT position, hash FROM events ORDER BY position DESC LIMIT 1'),
      ping: db.prepare('SELECT 1'),
    };
    this.groups = new GroupCommit(db, checkpointer, (group: AppendedGroup) => this.appended.emit('appended', group));
    this.appended.setMaxListeners(0); // one listener per live subscription
  }

  static open(file: string, opts: SqliteEventStoreOptions = {}): SqliteEventStore {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    db.pragma('busy_timeout = 5000'); // wait for another process's write lock instead of failing
    db.pragma('secure_delete = ON'); // no bytes of a rolled-back or rewritten page linger in free space
    ensureSchema(db);
    const catchUp = { events: opts.catchUp?.events ?? CATCH_UP_EVENTS, bytes: opts.catchUp?.bytes ?? CATCH_UP_BYTES };
    return new SqliteEventStore(db, BackgroundCheckpointer.start(db, file), opts.pollIntervalMs ?? 100, catchUp);
  }

  appendToStream(
    stream: string,
    events: readonly EventToAppend[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('SqliteEventStore is closed'));
    let json: EventJson[];
    try {
      json = jsonWithinAppendSize(stream, events); // refused before it is queued, as EventStoreDB refuses it
    } catch (err) {
      return Promise.reject(err);
    }
    return this.groups.append(stream, events, json, expectedRevision);
  }

  /**
   * A stream read again before the group commit waits for it (GroupCommit.beforeRead). A `readOnly`
   * read (a check) neither waits nor makes others wait.
   */
  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    if (!options.readOnly) await this.groups.beforeRead(stream);
    const limit = options.maxCount ?? -1; // -1: no limit in SQLite
    const rows =
      options.direction === 'backwards'
        ? this.stmt.backwards.all(stream, options.fromRevision ?? Number.MAX_SAFE_INTEGER, limit)
        : this.stmt.forwards.all(stream, options.fromRevision ?? 0, limit);
    return rows.map(toRecorded);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    if (options.dataEquals) return this.readMatching(options.dataEquals, options);
    if (options.upTo !== undefined) return this.readRange(options.upTo, options);
    if (options.maxBytes !== undefined) return this.readAllWithin(options.maxBytes, options);
    return this.readAllSync(options.after ?? 0, options.maxCount ?? -1, options.types, options.lean);
  }

  /** Events up to a position: read whole (a past state's replay reads small batches). */
  private readRange(upTo: number, { after = 0, maxCount = -1, types, lean = false, maxBytes }: ReadAllOptions) {
    const rows = types
      ? this.stmt.rangeOfTypes.iterate(after, upTo, JSON.stringify(types), maxCount)
      : this.stmt.range.iterate(after, upTo, maxCount);
    return collect(rows, lean, maxBytes);
  }

  /** Events whose data matches `filter`, filtered in SQL: the rows of other values never reach JS. */
  private readMatching(
    filter: DataEquals,
    { after = 0, upTo = Number.MAX_SAFE_INTEGER, maxCount = -1, types, lean = false, maxBytes }: ReadAllOptions,
  ) {
    const sql =
      `SELECT ${COLUMNS} FROM events WHERE position > ? AND position <= ?` +
      (types ? ' AND type IN (SELECT value FROM json_each(?))' : '') +
      ` AND ${dataFieldSql(filter.field)} = ? ORDER BY position LIMIT ?`;
    let stmt = this.matching.get(sql);
    if (!stmt) this.matching.set(sql, (stmt = eventRows<unknown[]>(this.db, sql)));
    const params = types
      ? [after, upTo, JSON.stringify(types), filter.value, maxCount]
      : [after, upTo, filter.value, maxCount];
    return collect(stmt.iterate(...params), lean, maxBytes);
  }

  /** Rows one at a time, stopping once their data and metadata reach `maxBytes`: the rest is never read. */
  private readAllWithin(
    maxBytes: number,
    { after = 0, maxCount = -1, types, lean = false }: ReadAllOptions,
  ): RecordedEvent[] {
    const rows = types
      ? this.stmt.allOfTypes.iterate(after, JSON.stringify(types), maxCount)
      : this.stmt.all.iterate(after, maxCount);
    const events: RecordedEvent[] = [];
    let bytes = 0;
    for (const row of rows) {
      events.push(lean ? toLeanRecorded(row) : toRecorded(row));
      bytes += Buffer.byteLength(row[5]) + Buffer.byteLength(row[6]);
      if (bytes >= maxBytes) break; // leaving the loop ends the iteration and resets the statement
    }
    return events;
  }

  /** @internal used by subscriptions (SubscriptionSource). */
  headPositionSync(): number {
    return this.stmt.head.get()!.head;
  }

  /** @internal used by subscriptions (SubscriptionSource). */
  readPageSync(
    after: number,
    limits: CatchUpLimits,
    types: readonly string[] | undefined,
  ): { events: RecordedEvent[]; seen: number; full: boolean } {
    const head = this.stmt.head.get()!.head;
    const rows: Iterable<EventRow> = types
      ? this.stmt.allOfTypes.iterate(after, JSON.stringify(types), limits.events)
      : this.stmt.all.iterate(after, limits.events);
    const events: RecordedEvent[] = [];
    let bytes = 0;
    let full = false;
    for (const row of rows) {
      const size = rowBytes(row);
      // At least one event per page, however large: the next page starts after it.
      if (events.length > 0 && bytes + size > limits.bytes) {
        full = true;
        break;
      }
      events.push(toRecorded(row));
      bytes += size;
    }
    if (events.length === limits.events) full = true;
    const last = events.length > 0 ? events[events.length - 1]!.position : after;
    return { events, seen: full ? last : Math.max(head, last), full };
  }

  /** @internal */
  readAllSync(after: number, limit: number, types: readonly string[] | undefined, lean = false): RecordedEvent[] {
    const rows = types
      ? this.stmt.allOfTypes.all(after, JSON.stringify(types), limit)
      : this.stmt.all.all(after, limit);
    return rows.map(lean ? toLeanRecorded : toRecorded);
  }

  async readStored({ after = 0, maxCount, types }: ReadStoredOptions): Promise<StoredEvent[]> {
    return types
      ? this.stmt.storedOfTypes.all(after, JSON.stringify(types), maxCount)
      : this.stmt.stored.all(after, maxCount);
  }

  /** A log written before the chain existed keeps its first events without a hash. */
  readonly chainedFromFirstEvent = false;

  /** Each event is chained in its own transaction: the newest event is the chain's head. */
  async chainHead(): Promise<ChainHead | null> {
    return this.stmt.chainHead.get() ?? null;
  }

  subscribeToAll(options: SubscribeOptions, handler: BatchHandler, onError?: (err: Error) => void): Subscription {
    if (this.closed) throw new Error('SqliteEventStore is closed');
    const subscription = new SqliteSubscription(this, this.appended, options, handler, onError, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<number> {
    return this.headPositionSync();
  }

  async ping(): Promise<void> {
    this.stmt.ping.get();
  }

  /** @internal The connection, for readers over the events table beside this adapter (sqlite-event-logs.ts). */
  get connection(): Database.Database {
    return this.db;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.groups.close(); // what was asked for before the close is committed (and answered) first
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.checkpointer?.stop();
    this.db.close();
  }
}

/** Rows as events, stopping once their data and metadata reach `maxBytes` (at least one is answered). */
function collect(rows: Iterable<EventRow>, lean: boolean, maxBytes: number | undefined): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  let bytes = 0;
  for (const row of rows) {
    events.push(lean ? toLeanRecorded(row) : toRecorded(row));
    if (maxBytes === undefined) continue;
    bytes += Buffer.byteLength(row[5]) + Buffer.byteLength(row[6]);
    if (bytes >= maxBytes) break; // leaving the loop ends the iteration and resets the statement
  }
  return events;
}
