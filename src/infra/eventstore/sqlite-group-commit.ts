/**
 * Group commit for the embedded event store: the appends asked for in one turn of the event loop (the
 * HTTP requests parsed in one poll phase, say) are committed together at its end, in one IMMEDIATE
 * transaction, each in its own savepoint so that each gets its own answer or error as if alone. A
 * commit costs far more than the rows it writes (each commit rewrites whole pages of every index it
 * touches). An append is answered only after its group committed; a group that fails to commit fails
 * all of its appends.
 */
import type Database from 'better-sqlite3';
import type { BackgroundCheckpointer } from '../sqlite-checkpointer.js';
import { GENESIS_HASH, chainHash } from './hash-chain.js';
import {
  type AppendResult,
  ConcurrencyError,
  type EventJson,
  type EventToAppend,
  type ExpectedRevision,
} from './port.js';
import type { EventRow } from './sqlite-rows.js';

/**
 * What one committed group appended: every event with a position in (previous, last], nothing else (it
 * held the write lock). Subscriptions that have seen everything up to `previous` take these rows as
 * they are, without reading them back.
 */
export interface AppendedGroup {
  previous: number;
  last: number;
  written: readonly EventRow[];
}

interface QueuedAppend {
  stream: string;
  events: readonly EventToAppend[];
  /** Their data and metadata as the JSON to store, serialised once by the caller's size check. */
  json: readonly EventJson[];
  expected: ExpectedRevision;
  resolve: (result: AppendResult) => void;
  reject: (err: unknown) => void;
  result: AppendResult | undefined;
  error: unknown;
  /** Its rows, once written inside the group's transaction. */
  written: EventRow[];
}

/** An event row's share of pages and index entries, roughly, beyond its JSON (for the checkpointer). */
const ROW_OVERHEAD_BYTES = 300;

export class GroupCommit {
  private readonly stmt;
  private readonly appendTx;
  private readonly groupTx;
  /** About how many bytes the group being written holds. */
  private bytesWritten = 0;
  /** Appends asked for in this turn of the event loop, committed together at its end (commitGroup). */
  private queue: QueuedAppend[] = [];
  private groupScheduled = false;
  /** Streams read since the last group commit, and the promise of the next one (see beforeRead). */
  private readonly readSinceCommit = new Set<string>();
  private nextCommit: { promise: Promise<void>; resolve: () => void } | null = null;
  private closed = false;
  /** The hash of the newest event, inside a group's transaction: each insert chains from it. */
  private lastHash = GENESIS_HASH;

  constructor(
    private readonly db: Database.Database,
    private readonly checkpointer: BackgroundCheckpointer | null,
    /** Told of every committed group that appended something. */
    private readonly onAppended: (group: AppendedGroup) => void,
  ) {
    // Prepared once: better-sqlite3 statements are reusable and compiling them is the costly part.
    this.stmt = {
      streamHead: db.prepare<[string], { revision: number }>(
        'SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1',
      ),
      byId: db.prepare<[string], { stream: string; revision: number }>(
        'SELECT stream, revision FROM events WHERE id = ?',
      ),
      idsFrom: db.prepare<[string, number, number], { id: string; revision: number; position: number }>(
        'SELECT id, revision, position FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?',
      ),
      insert: db.prepare<[string, string, number, string, string, string, string, string]>(
        'INSERT INTO events (id, stream, revision, type, data, metadata, created_at, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      // The newest event's position and hash, none in an empty log. Its hash is null in a log written before
      // the chain: the chain then starts at GENESIS_HASH.
      head: db.prepare<[], { position: number; hash: string | null }>(
        'SELECT position, hash FROM events ORDER BY position DESC LIMIT 1',
      ),
    };
    this.appendTx = db.transaction((append: QueuedAppend) => this.appendInTx(append));
    this.groupTx = db.transaction((group: QueuedAppend[]) => this.appendGroup(group));
  }

  append(
    stream: string,
    events: readonly EventToAppend[],
    json: readonly EventJson[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({
        stream,
        events,
        json,
        expected,
        resolve,
        reject,
        result: undefined,
        error: undefined,
        written: [],
      });
      this.scheduleGroup();
    });
  }

  /**
   * One read-decide-append cycle per stream per group: a stream read again before the group commit
   * waits for it, so it sees what a command that read it first appends, instead of deciding on the same
   * revision and failing.
   */
  async beforeRead(stream: string): Promise<void> {
    while (this.readSinceCommit.has(stream) && !this.closed) await this.afterNextCommit();
    this.readSinceCommit.add(stream);
    void this.afterNextCommit(); // the mark ends with the group, appended to or not
  }

  /** Commits what was asked for before the close (and answers it); later reads no longer wait. */
  close(): void {
    this.closed = true;
    this.commitGroup();
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

  /** Commits the queued appends. */
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
    if (committed.written.length > 0) this.onAppended(committed);
  }

  /** Inside the group's transaction: each append in its own savepoint (a nested better-sqlite3 transaction). */
  private appendGroup(group: QueuedAppend[]): AppendedGroup {
    // The head before this group, under the write lock: no other connection can add events after it until the commit.
    // Its hash too: appenders in other processes chain in commit order, never from the same hash.
    const head = this.stmt.head.get();
    const previous = head?.position ?? 0;
    this.lastHash = head?.hash ?? GENESIS_HASH;
    if (group.length === 1) {
      // Alone: its error can roll the whole transaction back, no savepoint needed (~10 µs less).
      const append = group[0]!;
      append.result = this.appendInTx(append);
      const written = append.written;
      return { previous, last: written.length > 0 ? written[written.length - 1]![0] : previous, written };
    }
    const written: EventRow[] = [];
    for (const append of group) {
      const hashBefore = this.lastHash;
      try {
        append.result = this.appendTx(append);
      } catch (err) {
        // An error SQLite answered by rolling back the whole transaction (not just the savepoint) fails the group.
        if (!this.db.inTransaction) throw err;
        this.lastHash = hashBefore; // its savepoint's rows are gone: the next append chains from before them
        append.error = err;
        append.written = [];
        continue;
      }
      for (const w of append.written) written.push(w);
    }
    return { previous, last: written.length > 0 ? written[written.length - 1]![0] : previous, written };
  }

  private appendInTx({ stream, events, json, expected, written }: QueuedAppend): AppendResult {
    const current = this.stmt.streamHead.get(stream)?.revision;
    const actual = current ?? 'no_stream';

    const duplicate = events.length > 0 ? this.idempotentResult(stream, events, expected, actual) : undefined;
    if (duplicate) return duplicate;

    const matches = expected === 'any' || (expected === 'no_stream' ? current === undefined : current === expected);
    if (!matches) throw new ConcurrencyError(stream, expected, actual);

    const createdAt = new Date().toISOString();
    let revision = current ?? -1;
    let position = 0;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const { data, metadata } = json[i]!;
      revision += 1;
      try {
        const at = event.createdAt ? event.createdAt.toISOString() : createdAt; // a copied event keeps its time
        const hash = chainHash(this.lastHash, {
          id: event.id,
          stream,
          revision,
          type: event.type,
          data,
          metadata,
          time: at,
        });
        const info = this.stmt.insert.run(event.id, stream, revision, event.type, data, metadata, at, hash);
        this.lastHash = hash;
        position = Number(info.lastInsertRowid);
        this.bytesWritten += data.length + metadata.length + ROW_OVERHEAD_BYTES;
        written.push([position, event.id, stream, revision, event.type, data, metadata, at]);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new Error(`Event id ${event.id} already exists; appending it to ${stream} again is not idempotent`, {
            cause: err,
          });
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
}
