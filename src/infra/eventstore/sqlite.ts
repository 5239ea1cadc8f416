/**
 * Embedded event store on one SQLite file (better-sqlite3, WAL). Several processes may share the
 * file: writers serialize on SQLite's write lock, and subscriptions poll for appends they did not make.
 */
import { EventEmitter } from 'node:events';
import Database from 'better-sqlite3';
import { BackgroundCheckpointer } from '../sqlite-checkpointer.js';
import {
  ConcurrencyError,
  type AppendResult,
  type BatchHandler,
  type EventStore,
  type EventMetadata,
  type EventToAppend,
  type ExpectedRevision,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from './port.js';

export interface SqliteEventStoreOptions {
  synchronous?: 'NORMAL' | 'FULL';
  pollIntervalMs?: number; // how often live subscriptions look for appends made by other processes
}

/**
 * An event row as an array in COLUMNS order: statements that read events run in better-sqlite3's raw
 * mode, which skips building an object per row (a replay reads every row: 9.7 → 5.7 µs per event).
 */
export type EventRow = [position: number, id: string, stream: string, revision: number, type: string, data: string, metadata: string, created_at: string];

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position   INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT    NOT NULL UNIQUE,
    stream     TEXT    NOT NULL,
    revision   INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    data       TEXT    NOT NULL,
    metadata   TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    UNIQUE (stream, revision)
  );
  CREATE INDEX IF NOT EXISTS events_type_position ON events (type, position);
`;

/** An event as this connection wrote it: the row the events table now holds. */
type WrittenEvent = EventRow;

interface QueuedAppend {
  stream: string;
  events: readonly EventToAppend[];
  expected: ExpectedRevision;
  resolve: (result: AppendResult) => void;
  reject: (err: unknown) => void;
  result: AppendResult | undefined;
  error: unknown;
  /** Its rows, once written inside the group's transaction. */
  written: WrittenEvent[];
}

/**
 * What one committed group appended: every event with a position in (previous, last], nothing else (it
 * held the write lock). Subscriptions that have seen everything up to `previous` take these rows as
 * they are, without reading them back.
 */
interface AppendedGroup {
  previous: number;
  last: number;
  written: readonly WrittenEvent[];
}

const CATCH_UP_BATCH = 1000;
const MAX_RETRY_DELAY_MS = 5000;
export const COLUMNS = 'position, id, stream, revision, type, data, metadata, created_at';
/** An event row's share of pages and index entries, roughly, beyond its JSON (for the checkpointer). */
const ROW_OVERHEAD_BYTES = 300;

export function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row[1],
    type: row[4],
    data: JSON.parse(row[5]),
    metadata: JSON.parse(row[6]),
    streamName: row[2],
    revision: row[3],
    position: row[0],
    createdAt: new Date(row[7]),
  };
}

/**
 * A recorded event whose metadata and createdAt are parsed when first read (`readAll({lean: true})`): a
 * replay's projections read neither, and the metadata is most of an event's JSON (building a 100k
 * replay's events: 4.6 → 2.6 µs each in a profile).
 */
class LeanRecordedEvent implements RecordedEvent {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly streamName: string;
  readonly revision: number;
  readonly position: number;
  #metadata: string | EventMetadata;
  #createdAt: string | Date;

  constructor(row: EventRow) {
    this.id = row[1];
    this.type = row[4];
    this.data = JSON.parse(row[5]);
    this.streamName = row[2];
    this.revision = row[3];
    this.position = row[0];
    this.#metadata = row[6];
    this.#createdAt = row[7];
  }

  get metadata(): EventMetadata {
    const m = this.#metadata;
    return typeof m === 'string' ? (this.#metadata = JSON.parse(m) as EventMetadata) : m;
  }

  get createdAt(): Date {
    const at = this.#createdAt;
    return typeof at === 'string' ? (this.#createdAt = new Date(at)) : at;
  }

  /** The same JSON as an eagerly read event's. */
  toJSON(): RecordedEvent {
    return {
      id: this.id, type: this.type, data: this.data, metadata: this.metadata,
      streamName: this.streamName, revision: this.revision, position: this.position, createdAt: this.createdAt,
    };
  }
}

const toLeanRecorded = (row: EventRow): RecordedEvent => new LeanRecordedEvent(row);

/** A statement reading events, answering rows as EventRow arrays. */
export const eventRows = <P extends unknown[]>(db: Database.Database, sql: string) => db.prepare<P, EventRow>(sql).raw(true);

export class SqliteEventStore implements EventStore {
  private readonly appended = new EventEmitter();
  private readonly subscriptions = new Set<SqliteSubscription>();
  private closed = false;

  private readonly stmt;
  private readonly appendTx;
  private readonly groupTx;
  private checkpointer: BackgroundCheckpointer | null = null;
  /** About how many bytes the append being written holds. */
  private bytesWritten = 0;
  /** Appends asked for in this turn of the event loop, committed together at its end (commitGroup). */
  private queue: QueuedAppend[] = [];
  private groupScheduled = false;
  /** Streams read since the last group commit, and the promise of the next one (see readStream). */
  private readSinceCommit = new Set<string>();
  private nextCommit: { promise: Promise<void>; resolve: () => void } | null = null;

  private constructor(
    private readonly db: Database.Database,
    readonly pollIntervalMs: number,
  ) {
    // Prepared once: better-sqlite3 statements are reusable and compiling them is the costly part.
    this.stmt = {
      streamHead: db.prepare<[string], { revision: number }>(
        'SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1',
      ),
      byId: db.prepare<[string], { stream: string; revision: number }>('SELECT stream, revision FROM events WHERE id = ?'),
      idsFrom: db.prepare<[string, number, number], { id: string; revision: number; position: number }>(
        'SELECT id, revision, position FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?',
      ),
      insert: db.prepare<[string, string, number, string, string, string, string]>(
        'INSERT INTO events (id, stream, revision, type, data, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      forwards: eventRows<[string, number, number]>(db, 
        `SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
      ),
      backwards: eventRows<[string, number, number]>(db, 
        `SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
      ),
      all: eventRows<[number, number]>(db, `SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`),
      allOfTypes: eventRows<[number, string, number]>(db, 
        `SELECT ${COLUMNS} FROM events WHERE position > ? AND type IN (SELECT value FROM json_each(?)) ORDER BY position LIMIT ?`,
      ),
      head: db.prepare<[], { head: number }>('SELECT COALESCE(MAX(position), 0) AS head FROM events'),
      ping: db.prepare('SELECT 1'),
    };
    this.appendTx = db.transaction(
      (stream: string, events: readonly EventToAppend[], expected: ExpectedRevision, written: WrittenEvent[]) =>
        this.appendInTx(stream, events, expected, written),
    );
    this.groupTx = db.transaction((group: QueuedAppend[]) => this.appendGroup(group));
    this.appended.setMaxListeners(0); // one listener per live subscription
  }

  static open(file: string, opts: SqliteEventStoreOptions = {}): SqliteEventStore {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    db.pragma('busy_timeout = 5000'); // wait for another process's write lock instead of failing
    db.exec(SCHEMA);
    const store = new SqliteEventStore(db, opts.pollIntervalMs ?? 100);
    store.checkpointer = BackgroundCheckpointer.start(db, file);
    return store;
  }

  /**
   * Group commit: the appends asked for in one turn of the event loop (the HTTP requests parsed in one
   * poll phase, say) are committed together at its end, in one IMMEDIATE transaction, each in its own
   * savepoint so that each gets its own answer or error as if alone. A commit costs far more than the
   * rows it writes (each commit rewrites whole pages of every index it touches). An append is answered
   * only after its group committed; a group that fails to commit fails all of its appends.
   */
  appendToStream(stream: string, events: readonly EventToAppend[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('SqliteEventStore is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ stream, events, expected: expectedRevision, resolve, reject, result: undefined, error: undefined, written: [] });
      this.scheduleGroup();
    });
  }

  private scheduleGroup(): void {
    if (this.groupScheduled) return;
    this.groupScheduled = true;
    setImmediate(() => this.commitGroup());
  }

  /** Resolves after the next group commit (or attempt), which it schedules. */
  private afterNextCommit(): Promise<void> {
    if (!this.nextCommit) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.nextCommit = { promise, resolve };
    }
    this.scheduleGroup();
    return this.nextCommit.promise;
  }

  private committed(): void {
    this.readSinceCommit.clear();
    const next = this.nextCommit;
    this.nextCommit = null;
    next?.resolve();
  }

  /** Commits the queued appends (also on close, so that nothing asked for is dropped). */
  private commitGroup(): void {
    this.groupScheduled = false;
    const group = this.queue;
    if (group.length === 0) return this.committed();
    // While the checkpointer's worker restarts the WAL (a few ms), the group waits, and more may join it.
    if (this.checkpointer && !this.checkpointer.beginWrite() && !this.closed) {
      this.groupScheduled = true;
      this.checkpointer.whenOpen(() => this.commitGroup());
      return;
    }
    this.queue = [];
    let committed: AppendedGroup | undefined;
    try {
      // IMMEDIATE takes the write lock up front, so each revision check and its inserts see the same state.
      committed = this.groupTx.immediate(group);
    } catch (err) {
      for (const append of group) append.reject(err);
      return;
    } finally {
      this.checkpointer?.endWrite(this.bytesWritten);
      this.bytesWritten = 0;
      this.committed();
    }
    for (const append of group) {
      if (append.error !== undefined) append.reject(append.error);
      else append.resolve(append.result!);
    }
    if (committed.written.length > 0) this.appended.emit('appended', committed);
  }

  /** Inside the group's transaction: each append in its own savepoint (a nested better-sqlite3 transaction). */
  private appendGroup(group: QueuedAppend[]): AppendedGroup {
    // The head before this group, under the write lock: no other connection can add events after it until the commit.
    const previous = this.stmt.head.get()!.head;
    if (group.length === 1) {
      // Alone: its error can roll the whole transaction back, no savepoint needed (~10 µs less).
      const append = group[0]!;
      append.result = this.appendInTx(append.stream, append.events, append.expected, append.written);
      const written = append.written;
      return { previous, last: written.length > 0 ? written[written.length - 1]![0] : previous, written };
    }
    const written: WrittenEvent[] = [];
    for (const append of group) {
      try {
        append.result = this.appendTx(append.stream, append.events, append.expected, append.written);
      } catch (err) {
        // An error SQLite answered by rolling back the whole transaction (not just the savepoint) fails the group.
        if (!this.db.inTransaction) throw err;
        append.error = err;
        append.written = [];
        continue;
      }
      for (const w of append.written) written.push(w);
    }
    return { previous, last: written.length > 0 ? written[written.length - 1]![0] : previous, written };
  }

  private appendInTx(stream: string, events: readonly EventToAppend[], expected: ExpectedRevision, written: WrittenEvent[]): AppendResult {
    const current = this.stmt.streamHead.get(stream)?.revision;
    const actual = current ?? 'no_stream';

    const duplicate = events.length > 0 ? this.idempotentResult(stream, events, expected, actual) : undefined;
    if (duplicate) return duplicate;

    const matches = expected === 'any' || (expected === 'no_stream' ? current === undefined : current === expected);
    if (!matches) throw new ConcurrencyError(stream, expected, actual);

    const createdAt = new Date().toISOString();
    let revision = current ?? -1;
    let position = 0;
    for (const event of events) {
      revision += 1;
      try {
        const data = JSON.stringify(event.data);
        const metadata = JSON.stringify(event.metadata);
        const at = event.createdAt ? event.createdAt.toISOString() : createdAt;
        const info = this.stmt.insert.run(event.id, stream, revision, event.type, data, metadata, at);
        position = Number(info.lastInsertRowid);
        this.bytesWritten += data.length + metadata.length + ROW_OVERHEAD_BYTES;
        written.push([position, event.id, stream, revision, event.type, data, metadata, at]);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new Error(`Event id ${event.id} already exists; appending it to ${stream} again is not idempotent`);
        }
        throw err;
      }
    }
    if (events.length === 0) position = current === undefined ? 0 : this.stmt.idsFrom.get(stream, current, 1)!.position;
    return { nextExpectedRevision: revision, position };
  }

  /** Like EventStoreDB: a batch already stored as a whole is answered with its original result. */
  private idempotentResult(
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
    actual: number | 'no_stream',
  ): AppendResult | undefined {
    const first = this.stmt.byId.get(events[0]!.id);
    if (!first) return undefined;
    if (first.stream !== stream) {
      throw new Error(`Event id ${events[0]!.id} already exists in stream ${first.stream}, not ${stream}`);
    }
    const stored = this.stmt.idsFrom.all(stream, first.revision, events.length);
    const same = stored.length === events.length && stored.every((row, i) => row.id === events[i]!.id);
    if (!same) throw new ConcurrencyError(stream, expected, actual); // partial overlap: neither new nor a retry
    const last = stored[stored.length - 1]!;
    return { nextExpectedRevision: last.revision, position: last.position };
  }

  /**
   * One read-decide-append cycle per stream per group: a stream read again before the group commit
   * waits for it, so it sees what a command that read it first appends, instead of deciding on the same
   * revision and failing (as before group commit, when a read and its append ran without a turn between).
   * A `readOnly` read (a check) neither waits nor makes others wait.
   */
  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    if (!options.readOnly) {
      while (this.readSinceCommit.has(stream) && !this.closed) await this.afterNextCommit();
      this.readSinceCommit.add(stream);
      this.afterNextCommit(); // the mark ends with the group, appended to or not
    }
    const limit = options.maxCount ?? -1; // -1: no limit in SQLite
    const rows =
      options.direction === 'backwards'
        ? this.stmt.backwards.all(stream, options.fromRevision ?? Number.MAX_SAFE_INTEGER, limit)
        : this.stmt.forwards.all(stream, options.fromRevision ?? 0, limit);
    return rows.map(toRecorded);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.readAllSync(options.after ?? 0, options.maxCount ?? -1, options.types, options.lean);
  }

  /**
   * @internal used by subscriptions: a page after `after`, and the position up to which it holds every
   * event of those types (the head as it was before the read, or the page's last event: the read saw at
   * least that much; a full page, only up to its last event).
   */
  readPageSync(after: number, limit: number, types: readonly string[] | undefined): { events: RecordedEvent[]; seen: number } {
    const head = this.stmt.head.get()!.head;
    const events = this.readAllSync(after, limit, types);
    const last = events.length > 0 ? events[events.length - 1]!.position : after;
    return { events, seen: events.length === limit ? last : Math.max(head, last) };
  }

  /** @internal */
  readAllSync(after: number, limit: number, types: readonly string[] | undefined, lean = false): RecordedEvent[] {
    const rows = types
      ? this.stmt.allOfTypes.all(after, JSON.stringify(types), limit)
      : this.stmt.all.all(after, limit);
    return rows.map(lean ? toLeanRecorded : toRecorded);
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
    return this.stmt.head.get()!.head;
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
    this.commitGroup(); // what was asked for before the close is committed (and answered) first
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.checkpointer?.stop();
    this.db.close();
  }
}

/**
 * Catch-up by reading pages, then live: a local append hands its rows over (no read) when they follow
 * on from what the subscription has seen; otherwise (another connection appended in between, or too
 * much waits) it reads. The poll timer reads for appends by other processes.
 */
class SqliteSubscription implements Subscription {
  private closed = false;
  private dirty = false; // a local append of these types since the loop last looked
  private wake: (() => void) | undefined;
  private wakeQueued = false;
  private readonly done: Promise<void>;
  /** Types this subscription reads, or null for all. */
  private readonly types: ReadonlySet<string> | null;
  /**
   * Every event of its types with a position up to `seen` is delivered or waits in `handedOver`
   * (null: not known, read next). Local appends that follow on from `seen` move it on.
   */
  private seen: number | null = null;
  private handedOver: RecordedEvent[] = [];
  /**
   * Woken on the next turn of the event loop, not at once: the appends a request makes in one go
   * (a chat's quota, id and ChatRequested) then reach the handler as one batch, after the request
   * has reached its first real wait (e.g. the model call), instead of each interleaving with it.
   * A local append of types this subscription does not read cannot give it anything new: no wake.
   * (Appends by other processes are found by the poll timer, or by the gap they leave before a local one.)
   */
  private readonly onAppended = (group: AppendedGroup) => {
    const mine = this.types ? group.written.filter((row) => this.types!.has(row[4])) : group.written;
    if (this.seen !== null && group.previous === this.seen && this.handedOver.length + mine.length <= CATCH_UP_BATCH) {
      this.seen = group.last;
      for (const row of mine) this.handedOver.push(toRecorded(row));
    } else {
      this.seen = null; // a gap (another connection appended) or too much waiting: read instead
      this.handedOver = [];
    }
    if (mine.length === 0) return;
    this.dirty = true;
    if (this.wakeQueued) return;
    this.wakeQueued = true;
    setImmediate(() => {
      this.wakeQueued = false;
      this.wake?.();
    });
  };

  constructor(
    private readonly store: SqliteEventStore,
    private readonly appended: EventEmitter,
    private readonly options: SubscribeOptions,
    private readonly handler: BatchHandler,
    private readonly onError: ((err: Error) => void) | undefined,
    private readonly onEnd: () => void,
  ) {
    this.types = options.types ? new Set(options.types) : null;
    appended.on('appended', this.onAppended);
    this.done = this.run().finally(() => {
      appended.off('appended', this.onAppended);
      onEnd();
    });
  }

  private async run(): Promise<void> {
    await Promise.resolve(); // never call the handler synchronously from subscribeToAll
    let after = this.options.after ?? 0;
    let failures = 0;
    while (!this.closed) {
      this.dirty = false;
      let batch: RecordedEvent[];
      let fullPage = false;
      if (this.seen !== null && this.handedOver.length > 0) {
        batch = this.handedOver;
        this.handedOver = [];
      } else {
        try {
          const page = this.store.readPageSync(after, CATCH_UP_BATCH, this.options.types);
          batch = page.events;
          fullPage = batch.length === CATCH_UP_BATCH;
          this.seen = page.seen;
          this.handedOver = []; // the read found them
          failures = 0;
        } catch (err) {
          // A read can fail transiently (e.g. the file is locked too long): retry with backoff.
          this.seen = null;
          failures += 1;
          await this.sleep(Math.min(this.store.pollIntervalMs * 2 ** failures, MAX_RETRY_DELAY_MS));
          continue;
        }
      }
      if (batch.length > 0) {
        try {
          await this.handler(batch);
        } catch (err) {
          this.closed = true;
          this.onError?.(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        after = batch[batch.length - 1]!.position;
      }
      // Read on at once after a full page, or when a local append of these types waits (handed over or
      // behind a gap); else sleep until one comes, or the poll's time to look for other processes' appends.
      if (fullPage || this.closed || this.dirty) continue;
      await this.sleep(this.store.pollIntervalMs);
    }
  }

  /** Resolves after `ms`, on a local append, or on close — whichever comes first. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.done; // lets an in-flight batch finish
  }
}
