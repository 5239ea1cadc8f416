/**
 * Write-behind for the embedded read store: every write made in one turn of the event loop (or, with
 * `writeBehindMs`, within that window) lands in one transaction, so a projection batch and its checkpoint
 * reach the disk together or not at all, with the change-log entries that let other processes follow.
 */
import type Database from 'better-sqlite3';
import type { BackgroundCheckpointer } from '../sqlite-checkpointer.js';
import type { ChangeLog } from './sqlite-change-log.js';
import type { SqliteTables } from './sqlite-tables.js';
import type { Doc } from './port.js';

/**
 * Flush archive writes inside the write once this many wait, to bound memory in long synchronous runs
 * (a replay). Pending writes of in-memory collections only point at documents memory holds anyway, so
 * they wait for the end of the turn, and a replay writes each such document once, not once per event.
 */
const MAX_PENDING_ARCHIVED = 20_000;
/** A written row's share of pages, index entries and the change log, roughly, beyond its document. */
const ROW_OVERHEAD_BYTES = 200;

export class WriteBehind {
  /** collection → _id → the document to write, or null to delete. */
  private pending = new Map<string, Map<string, Doc | null>>();
  /** Archive collection → _id → the serialised document to write, or null to delete. */
  private pendingArchive = new Map<string, Map<string, string | null>>();
  private pendingCount = 0;
  private pendingArchivedCount = 0;
  private flushScheduled = false;
  private flushTimer: NodeJS.Timeout | null = null;
  /** About how many bytes the transaction being written holds (for the checkpointer). */
  private bytesWritten = 0;

  /**
   * `writeBehindMs` lets writes of several turns share one transaction (one commit per projection batch
   * costs a large share of a small command's round trip). Memory holds them meanwhile; what a crash loses
   * is rebuilt from the event log, as the checkpoint is written after the documents it guards and so
   * never reaches the disk without them. 0: writes land at the end of the turn that made them.
   */
  constructor(
    private readonly db: Database.Database,
    private readonly tables: SqliteTables,
    private readonly changes: ChangeLog,
    private readonly checkpointer: BackgroundCheckpointer | null,
    private readonly writeBehindMs: number,
  ) {
    // Made once: better-sqlite3 builds a transaction function's wrappers each time one is made.
    this.flushTx = db.transaction((pending: Map<string, Map<string, Doc | null>>) => {
      this.writeArchives();
      let last: number | undefined;
      for (const [name, writes] of pending) {
        this.bytesWritten += this.tables.write(name, writes) + writes.size * ROW_OVERHEAD_BYTES;
        last = this.changes.noteDocuments(name, writes);
      }
      if (last !== undefined) this.changes.written(last);
    });
  }

  /** Writes the pending documents, the archives' and the change log's entries in one transaction. */
  private readonly flushTx: (pending: Map<string, Map<string, Doc | null>>) => void;

  /** Records a write of an in-memory collection to persist; `doc` null deletes. */
  written(name: string, id: string, doc: Doc | null): void {
    let writes = this.pending.get(name);
    if (!writes) this.pending.set(name, (writes = new Map()));
    if (!writes.has(id)) this.pendingCount++;
    writes.set(id, doc);
    this.scheduleFlush();
  }

  /** Records a write of an archive, serialised; `json` null deletes. */
  archived(name: string, id: string, json: string | null): void {
    let writes = this.pendingArchive.get(name);
    if (!writes) this.pendingArchive.set(name, (writes = new Map()));
    if (!writes.has(id)) this.pendingArchivedCount++;
    writes.set(id, json);
    if (this.pendingArchivedCount >= MAX_PENDING_ARCHIVED) this.flushArchives();
    else this.scheduleFlush();
  }

  /** The pending serialised write of an archive's document: a JSON string, null (deleted), undefined (none). */
  pendingArchived(name: string, id: string): string | null | undefined {
    return this.pendingArchive.get(name)?.get(id);
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

  /** Writes everything pending once the checkpointer's gate is open. */
  async flush(): Promise<void> {
    while (this.checkpointer && !this.checkpointer.beginWrite())
      await new Promise<void>((resolve) => this.checkpointer!.whenOpen(resolve));
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
      this.flushTx(pending);
    } finally {
      this.noteWritten();
    }
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
    for (const [name, writes] of pending)
      this.bytesWritten += this.tables.write(name, writes) + writes.size * ROW_OVERHEAD_BYTES;
  }
}
