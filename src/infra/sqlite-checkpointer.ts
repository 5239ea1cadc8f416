/**
 * WAL checkpoints of a SQLite file, run on a worker thread with its own connection. SQLite's automatic
 * checkpoint runs inside the commit that crosses its threshold, on the writer's thread: copying ~4 MB
 * of pages back into the database and fsyncing it, with the event loop blocked (ingestion: ~15 % of
 * the wall time, bench/README.md). Here the writer notes roughly how much it wrote and the worker
 * checkpoints (PASSIVE: never waits for, nor blocks, readers or writers) every `CHECKPOINT_BYTES`.
 * Durability is unchanged: a commit is in the WAL either way; a checkpoint only moves it. The writer's
 * own automatic checkpoint stays on at a higher threshold, so the WAL stays bounded if the worker lags
 * or dies.
 */
import type Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';

/** Close to SQLite's default (1,000 pages of 4 KB). */
const CHECKPOINT_BYTES = 4 * 1024 * 1024;
/** The writer's fallback threshold in pages (~40 MB of WAL). */
const FALLBACK_PAGES = 10_000;

export class BackgroundCheckpointer {
  private written = 0;
  private stopped = false;

  private readonly exited: Promise<void>;

  private constructor(private readonly worker: Worker) {
    this.exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  }

  /** For a file in WAL mode; `db` is the writer's connection. Null for an in-memory database. */
  static start(db: Database.Database, file: string): BackgroundCheckpointer | null {
    if (file === ':memory:' || file === '' || db.memory) return null;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver: require.resolve('better-sqlite3'), file } });
    worker.unref(); // never what keeps a process alive
    worker.on('error', () => undefined); // the fallback threshold takes over
    db.pragma(`wal_autocheckpoint = ${FALLBACK_PAGES}`);
    return new BackgroundCheckpointer(worker);
  }

  /** Called after a commit with about how many bytes it wrote (row sizes plus something per row for pages and indexes). */
  wrote(bytes: number): void {
    this.written += bytes;
    if (this.written < CHECKPOINT_BYTES || this.stopped) return;
    this.written = 0;
    this.worker.postMessage('checkpoint');
  }

  /** Closes the worker's connection (before the writer closes its own, which then checkpoints the rest). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Held while waiting for it to exit: else a process with nothing else to do ends inside close() (the
    // writer's connection left unclosed), as a script that opens and closes a store did.
    this.worker.ref();
    this.worker.postMessage('close');
    await this.exited;
  }
}

// Plain CommonJS, run in the worker. Checkpoints asked for while one runs collapse into one.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    process.exit(0);
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // busy or failing: the writer's own threshold still bounds the WAL
  }
});
`;
