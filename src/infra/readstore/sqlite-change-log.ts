/**
 * The change log of the embedded read store: each write transaction notes which documents it changed
 * (or that a whole collection did), so that other processes sharing the file (API processes without a
 * projector) can refresh their in-memory view from it.
 */
import type { SqliteTables } from './sqlite-tables.js';

/** The log keeps this many entries; a reader further behind reloads everything. */
const CHANGES_KEPT = 100_000;
const TRIM_EVERY = 1000;
/** A write that changes more documents of a collection than this logs the collection as a whole. */
const BULK_CHANGE = 1000;

/** A change since this view was brought up to date: a document (id), or a whole collection (id null). */
export interface Change {
  collection: string;
  id: string | null;
}

export class ChangeLog {
  /** The last entry of the log this process's view includes. */
  private seen = 0;

  constructor(private readonly tables: SqliteTables) {
    // id NULL: the whole collection changed (renamed over or dropped).
    tables.db.exec(
      'CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, collection TEXT NOT NULL, id TEXT)',
    );
    this.seen = this.last();
  }

  private last(): number {
    return (this.tables.stmt('SELECT COALESCE(MAX(seq), 0) AS seq FROM changes').get() as { seq: number }).seq;
  }

  /** Inside a write transaction: notes the documents of `collection` it changed. Answers the entry's seq. */
  noteDocuments(collection: string, changed: ReadonlyMap<string, unknown>): number {
    if (changed.size > BULK_CHANGE) return this.noteCollection(collection); // readers reload it whole (a replay, for one)
    if (changed.size === 1) return this.note(collection, changed.keys().next().value!);
    // One statement logs all of a collection's changed ids: a statement per id cost ~5 % of a chunk's write.
    const noted = this.tables
      .stmt('INSERT INTO changes (collection, id) SELECT ?, value FROM json_each(?)')
      .run(collection, JSON.stringify([...changed.keys()]));
    return Number(noted.lastInsertRowid);
  }

  /** Inside a write transaction: notes that the whole collection changed. */
  noteCollection(collection: string): number {
    return this.note(collection, null);
  }

  private note(collection: string, id: string | null): number {
    return Number(
      this.tables.stmt('INSERT INTO changes (collection, id) VALUES (?, ?)').run(collection, id).lastInsertRowid,
    );
  }

  /** Inside the write transaction, after its notes: the view includes them; the log is trimmed now and then. */
  written(last: number): void {
    // Trimmed now and then, not on every write: a reader far behind reloads anyway.
    if (Math.floor(last / TRIM_EVERY) !== Math.floor(this.seen / TRIM_EVERY))
      this.tables.stmt('DELETE FROM changes WHERE seq <= ?').run(last - CHANGES_KEPT);
    this.seen = last;
  }

  /** After a change the view took in whole (a drop or rename): it includes everything logged so far. */
  caughtUp(): void {
    this.seen = this.last();
  }

  /**
   * What other processes changed since the view was last brought up to date, oldest first; null when
   * the log no longer reaches back that far (the view must reload everything). The view counts as
   * up to date with them once answered.
   */
  since(): Change[] | null {
    const oldest = (this.tables.stmt('SELECT COALESCE(MIN(seq), 0) AS seq FROM changes').get() as { seq: number }).seq;
    if (oldest > this.seen + 1) {
      this.caughtUp();
      return null;
    }
    const rows = this.tables
      .stmt('SELECT seq, collection, id FROM changes WHERE seq > ? ORDER BY seq')
      .all(this.seen) as ({ seq: number } & Change)[];
    if (rows.length > 0) this.seen = rows[rows.length - 1].seq;
    return rows;
  }
}
