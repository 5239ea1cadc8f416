/**
 * The embedded event store's table and its rows: the schema, the columns every read selects, and how
 * a row becomes a RecordedEvent.
 */
import type Database from 'better-sqlite3';
import type { EventMetadata, RecordedEvent } from './port.js';

/**
 * An event row as an array in COLUMNS order: statements that read events run in better-sqlite3's raw
 * mode, which skips building an object per row (a replay reads every row: 9.7 → 5.7 µs per event).
 */
export type EventRow = [
  position: number,
  id: string,
  stream: string,
  revision: number,
  type: string,
  data: string,
  metadata: string,
  created_at: string,
];

export const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position   INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT    NOT NULL UNIQUE,
    stream     TEXT    NOT NULL,
    revision   INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    data       TEXT    NOT NULL,
    metadata   TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    hash       TEXT,
    UNIQUE (stream, revision)
  );
  CREATE INDEX IF NOT EXISTS events_type_position ON events (type, position);
  CREATE INDEX IF NOT EXISTS events_workspace_position ON events (json_extract(data, '$.workspaceId'), position)
    WHERE json_extract(data, '$.workspaceId') IS NOT NULL;
`;

/**
 * Data fields indexed (events_workspace_position above) for reads filtered by `dataEquals`: a past read
 * of one workspace's chats finds its few hundred events among a range of tens of thousands without
 * parsing the others. A filter on another field scans the range. The SQL text must stay the same as
 * the index's for SQLite to use it (dataFieldSql).
 */
export const dataFieldSql = (field: string): string => {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) throw new Error(`Not a data field name: ${field}`);
  return `json_extract(data, '$.${field}')`;
};

export const COLUMNS = 'position, id, stream, revision, type, data, metadata, created_at';

/**
 * Creates the table, or adds the chain's `hash` column to a file written before it existed: its rows keep
 * a null hash, and the chain starts at the first event appended after (from GENESIS_HASH).
 */
export function ensureSchema(db: Database.Database): void {
  db.exec(SCHEMA);
  const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('events')").all();
  if (!columns.some((c) => c.name === 'hash')) db.exec('ALTER TABLE events ADD COLUMN hash TEXT');
}

/** Rows as stored, with their chain hash (StoredEvent). */
export const STORED_COLUMNS = 'position, id, stream, revision, type, data, metadata, created_at AS time, hash';

/** About how much memory a row's event holds: its JSON, which dominates (chunk events carry ~1 MB of text). */
export const rowBytes = (row: EventRow) => row[5].length + row[6].length;

/** A statement reading events, answering rows as EventRow arrays. */
export const eventRows = <P extends unknown[]>(db: Database.Database, sql: string) =>
  db.prepare<P, EventRow>(sql).raw(true);

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
      id: this.id,
      type: this.type,
      data: this.data,
      metadata: this.metadata,
      streamName: this.streamName,
      revision: this.revision,
      position: this.position,
      createdAt: this.createdAt,
    };
  }
}

export const toLeanRecorded = (row: EventRow): RecordedEvent => new LeanRecordedEvent(row);
