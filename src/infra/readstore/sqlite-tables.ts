/**
 * The embedded read store's file: one table of JSON documents per collection (`doc_<name>`), the
 * index definitions, and statements prepared once per connection.
 */
import type Database from 'better-sqlite3';
import type { Doc } from './port.js';

export const tableName = (name: string) => `doc_${name}`;

export class SqliteTables {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly tables = new Set<string>();

  constructor(readonly db: Database.Database) {
    // Index definitions outlive the process; the indexes themselves are rebuilt in memory on load.
    db.exec(
      'CREATE TABLE IF NOT EXISTS indexes (collection TEXT NOT NULL, fields TEXT NOT NULL, is_unique INTEGER NOT NULL, PRIMARY KEY (collection, fields))',
    );
  }

  /** Prepared once: preparing is a large part of a small write's cost. */
  stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  exists(name: string): boolean {
    return !!this.stmt(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(tableName(name));
  }

  create(name: string): void {
    if (this.tables.has(name)) return;
    // A rowid table (plus the primary key's index), not WITHOUT ROWID: documents of a kilobyte and more (document
    // chunks) are stored ~45 % cheaper so, since a WITHOUT ROWID b-tree keeps whole rows in its cells (SQLite advises
    // it only for rows under ~1/20 of a page); for small documents both layouts cost the same.
    // Tables created earlier keep their layout: both answer the same statements.
    this.db.exec(`CREATE TABLE IF NOT EXISTS "${tableName(name)}" (id TEXT PRIMARY KEY, doc TEXT NOT NULL)`);
    this.tables.add(name);
  }

  /** Forgets statements and table knowledge for a collection whose table was dropped or renamed. */
  forget(name: string): void {
    this.tables.delete(name);
    for (const sql of this.statements.keys()) if (sql.includes(`"${tableName(name)}"`)) this.statements.delete(sql);
  }

  /** Every document of a collection, as stored. */
  *documents(name: string): Iterable<string> {
    if (!this.exists(name)) return;
    for (const row of this.stmt(`SELECT doc FROM "${tableName(name)}"`).iterate() as Iterable<{ doc: string }>)
      yield row.doc;
  }

  /** How many documents a collection holds. */
  count(name: string): number {
    if (!this.exists(name)) return 0;
    return (this.stmt(`SELECT COUNT(*) AS n FROM "${tableName(name)}"`).get() as { n: number }).n;
  }

  /**
   * The documents after `after` (a key this method answered, or null for the first page), at most
   * `limit`, in table order, with the key of the next page (null after the last). Rowid tables are
   * paged by rowid (their storage order); tables an older version made WITHOUT ROWID by their id.
   */
  page(name: string, after: number | string | null, limit: number): { docs: string[]; next: number | string | null } {
    if (!this.exists(name)) return { docs: [], next: null };
    const key = this.hasRowid(name) ? 'rowid' : 'id';
    // Two statements rather than `? IS NULL OR key > ?`, which SQLite cannot answer with a range seek.
    const select = `SELECT ${key} AS k, doc FROM "${tableName(name)}"`;
    const rows = (
      after === null
        ? this.stmt(`${select} ORDER BY ${key} LIMIT ?`).all(limit)
        : this.stmt(`${select} WHERE ${key} > ? ORDER BY ${key} LIMIT ?`).all(after, limit)
    ) as { k: number | string; doc: string }[];
    return { docs: rows.map((r) => r.doc), next: rows.length < limit ? null : rows[rows.length - 1].k };
  }

  private hasRowid(name: string): boolean {
    const row = this.stmt(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`).get(tableName(name)) as
      { sql: string } | undefined;
    return !!row && !/WITHOUT\s+ROWID/i.test(row.sql);
  }

  document(name: string, id: string): string | undefined {
    if (!this.exists(name)) return undefined;
    return (this.stmt(`SELECT doc FROM "${tableName(name)}" WHERE id = ?`).get(id) as { doc: string } | undefined)?.doc;
  }

  /** Writes documents by _id (objects, or already serialised; null deletes); answers about how many bytes that wrote. */
  write(name: string, writes: ReadonlyMap<string, Doc | string | null>): number {
    this.create(name);
    const upsert = this.stmt(`INSERT OR REPLACE INTO "${tableName(name)}" (id, doc) VALUES (?, ?)`);
    const remove = this.stmt(`DELETE FROM "${tableName(name)}" WHERE id = ?`);
    let bytes = 0;
    for (const [id, doc] of writes) {
      if (doc !== null) {
        const json = typeof doc === 'string' ? doc : JSON.stringify(doc);
        upsert.run(id, json);
        bytes += json.length;
      } else remove.run(id);
    }
    return bytes;
  }

  defineIndex(name: string, fields: string[], unique: boolean): void {
    this.stmt('INSERT OR REPLACE INTO indexes (collection, fields, is_unique) VALUES (?, ?, ?)').run(
      name,
      JSON.stringify(fields),
      unique ? 1 : 0,
    );
  }

  indexes(name: string): { fields: string[]; unique: boolean }[] {
    const rows = this.stmt('SELECT fields, is_unique FROM indexes WHERE collection = ?').all(name) as {
      fields: string;
      is_unique: number;
    }[];
    return rows.map((r) => ({ fields: JSON.parse(r.fields) as string[], unique: r.is_unique === 1 }));
  }

  /** Names of every collection that has a table. */
  names(): string[] {
    const rows = this.stmt(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'doc\\_%' ESCAPE '\\'`,
    ).all() as { name: string }[];
    return rows.map((r) => r.name.slice(4));
  }

  drop(name: string): void {
    this.forget(name);
    this.db.exec(`DROP TABLE IF EXISTS "${tableName(name)}"`);
    this.stmt('DELETE FROM indexes WHERE collection = ?').run(name);
  }

  /** Replaces `to` with `from`, table and index definitions. */
  rename(from: string, to: string): void {
    this.forget(from);
    this.forget(to);
    this.create(from);
    this.db.exec(`DROP TABLE IF EXISTS "${tableName(to)}"`);
    this.db.exec(`ALTER TABLE "${tableName(from)}" RENAME TO "${tableName(to)}"`);
    this.stmt('DELETE FROM indexes WHERE collection = ?').run(to);
    this.stmt('UPDATE indexes SET collection = ? WHERE collection = ?').run(to, from);
    this.forget(from);
    this.forget(to);
  }
}
