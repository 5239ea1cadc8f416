/**
 * Keys in a SQLite file of their own in DATA_DIR. `secure_delete` makes SQLite overwrite a destroyed
 * key's bytes with zeros, and the rollback journal (not WAL) is deleted after each commit, so no copy of
 * a destroyed key stays behind in the file or beside it.
 */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { KEY_BYTES, type KeyStore } from './port.js';

export class SqliteKeyStore implements KeyStore {
  private readonly stmt;

  private constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS subject_keys (
      subject      TEXT PRIMARY KEY,
      key          BLOB,
      destroyed_at TEXT
    )`);
    this.stmt = {
      find: db.prepare<[string], { key: Buffer | null }>('SELECT key FROM subject_keys WHERE subject = ?'),
      insert: db.prepare<[string, Buffer]>(
        'INSERT INTO subject_keys (subject, key) VALUES (?, ?) ON CONFLICT (subject) DO NOTHING',
      ),
      destroy: db.prepare<[string, string]>(
        `INSERT INTO subject_keys (subject, key, destroyed_at) VALUES (?, NULL, ?)
         ON CONFLICT (subject) DO UPDATE SET key = NULL, destroyed_at = COALESCE(destroyed_at, excluded.destroyed_at)`,
      ),
    };
  }

  static open(file: string): SqliteKeyStore {
    const db = new Database(file);
    db.pragma('journal_mode = DELETE');
    db.pragma('secure_delete = ON');
    db.pragma('synchronous = FULL'); // a key lost in a crash is data lost
    db.pragma('busy_timeout = 5000');
    return new SqliteKeyStore(db);
  }

  async keyFor(subject: string): Promise<Buffer | null> {
    const found = this.stmt.find.get(subject);
    if (found) return found.key;
    // Insert-if-absent then read: two processes making the same key agree on the first one written.
    this.stmt.insert.run(subject, randomBytes(KEY_BYTES));
    return this.stmt.find.get(subject)!.key;
  }

  async find(subject: string): Promise<Buffer | null> {
    return this.stmt.find.get(subject)?.key ?? null;
  }

  async destroy(subject: string): Promise<boolean> {
    const live = (await this.find(subject)) !== null;
    this.stmt.destroy.run(subject, new Date().toISOString());
    return live;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
