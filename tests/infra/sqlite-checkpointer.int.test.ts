import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackgroundCheckpointer } from '../../src/infra/sqlite-checkpointer.js';

const dir = mkdtempSync(join(tmpdir(), 'chronicle-checkpointer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Polls until `check` holds; the deadline only turns a hang into a failure (a worker thread starts slowly on a loaded machine). */
async function until(check: () => boolean, ms = 40_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20)))
    if (check()) return true;
  return check();
}

describe('background WAL checkpoints', () => {
  it('moves committed pages into the database file from its worker while the writer stays under its own threshold', async () => {
    const file = join(dir, 'a.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const checkpointer = BackgroundCheckpointer.start(db, file)!;
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
    const body = 'x'.repeat(100_000);
    for (let i = 0; i < 60; i++) {
      db.transaction(() => insert.run(body))(); // 6 MB in all: below the writer's fallback of ~40 MB
      checkpointer.wrote(body.length);
    }
    expect(statSync(file).size).toBeLessThan(1_000_000); // all of it still in the WAL
    await expect(until(() => statSync(file).size > 4_000_000)).resolves.toBe(true);

    await checkpointer.stop();
    db.close();
    const reader = new Database(file, { readonly: true });
    expect(reader.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 60 });
    reader.close();
  }, 60_000);

  it("given steady writes that honour its gate, then its worker restarts the WAL before the writer's fallback would, and nothing is lost", async () => {
    const file = join(dir, 'restart.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const checkpointer = BackgroundCheckpointer.start(db, file)!;
    db.pragma('wal_autocheckpoint = 0'); // no fallback: only the worker can restart the WAL
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
    const body = 'x'.repeat(100_000); // ~25 pages a commit
    for (let i = 0; i < 600; i++) {
      // ~15,000 pages in all, past the restart threshold (8,000) and the fallback's (10,000)
      while (!checkpointer.beginWrite()) await new Promise<void>((resolve) => checkpointer.whenOpen(resolve));
      db.transaction(() => insert.run(body))();
      checkpointer.endWrite(body.length);
      await new Promise((resolve) => setImmediate(resolve)); // lets the worker's messages in
    }
    await until(() => (checkpointer.stats?.restarts ?? 0) >= 1, 30_000);
    expect(checkpointer.stats!.restarts).toBeGreaterThanOrEqual(1);
    // Started over: the WAL now holds fewer frames than its file once did (the writer's own checkpoint is off).
    const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
    expect(log).toBeLessThan(statSync(`${file}-wal`).size / (4096 + 24));

    await checkpointer.stop();
    db.close();
    const reader = new Database(file, { readonly: true });
    expect(reader.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 600 });
    reader.close();
  }, 60_000);

  it('is not started for an in-memory database, and stops twice without harm', async () => {
    const memory = new Database(':memory:');
    expect(BackgroundCheckpointer.start(memory, ':memory:')).toBeNull();
    memory.close();
    const file = join(dir, 'b.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    const checkpointer = BackgroundCheckpointer.start(db, file)!;
    await checkpointer.stop();
    await checkpointer.stop();
    db.close();
  });
});

describe('closing a store in a process with nothing else to do', () => {
  it('finishes the close (the wait for the worker keeps the process alive) instead of ending inside it', () => {
    const script = `
      const { SqliteEventStore } = require(${JSON.stringify(join(process.cwd(), 'dist/infra/eventstore/sqlite.js'))});
      const store = SqliteEventStore.open(${JSON.stringify(join(dir, 'alone.sqlite'))});
      store.close().then(() => console.log('closed'));`;
    expect(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim()).toBe('closed');
  });
});
