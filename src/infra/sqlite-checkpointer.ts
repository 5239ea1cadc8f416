/**
 * WAL checkpoints of a SQLite file, run on a worker thread with its own connection, so that no fsync
 * happens on the writer's (main) thread. SQLite's automatic checkpoint runs inside the commit that
 * crosses its threshold, on the writer's thread: fsyncing the WAL, copying its pages back into the
 * database and fsyncing that, with the event loop blocked (40-185 ms stalls on this machine's disk).
 *
 * The writer tells the worker when it wrote (every 100 ms at most, or sooner after many bytes), and the
 * worker looks at the WAL's real size in the WAL-index header (the writer's estimate of row bytes
 * undercounts it many times over: a commit rewrites whole pages of every b-tree it touches). Past
 * `CHECKPOINT_FRAMES` it checkpoints PASSIVE (never waits for, nor blocks, readers or writers). Under
 * steady writes a passive checkpoint never catches up completely (commits land while it runs), and only
 * a fully checkpointed WAL can restart from its beginning; so once the WAL is past `RESTART_FRAMES` and
 * the writer pauses for a few ms (or, under steady writes, past `FORCE_RESTART_FRAMES`), the worker takes
 * the write gate: the writer holds its writes back (asynchronously, the event loop runs on) while the
 * worker checkpoints the few frames left and makes the one small write that restarts the WAL (its
 * header fsync then happens on the worker too). The gate is advisory, between this writer and its
 * worker; SQLite's own locks still order everything, other processes included.
 *
 * Durability is unchanged: a commit is in the WAL either way; a checkpoint only moves it. The writer's
 * own automatic checkpoint stays on at a higher threshold, so the WAL stays bounded if the worker lags
 * or dies.
 */
import type Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';

/** The worker looks at the WAL at most this often while writes happen. */
const CHECKPOINT_INTERVAL_MS = 100;
/** ... and at once when about this many bytes of rows were written (bulk writes outrun the interval). */
const CHECKPOINT_BYTES = 4 * 1024 * 1024;
/** It checkpoints once this many frames wait (SQLite's default threshold: ~4 MB of 4 KB pages) ... */
const CHECKPOINT_FRAMES = 1000;
/** ... and restarts the WAL once it holds this many (~32 MB) and the writer has been idle `IDLE_MS` ... */
const RESTART_FRAMES = 8000;
const IDLE_MS = 5;
/** ... or, busy or not, once it holds this many (~56 MB, below the fallback). */
const FORCE_RESTART_FRAMES = 14_000;
/** The writer's fallback threshold in pages (~80 MB of WAL): room for a worker slowed by a busy disk. */
const FALLBACK_PAGES = 20_000;
/** The writer stops waiting for a gate held this long (a stuck fsync): SQLite's locks still order the writes. */
const GATE_PATIENCE_MS = 250;

/** Gate states, in slot 0 of the shared array (slot 1: when the writer last wrote, ms mod 2^31). */
const OPEN = 0;
const WORKER = 1; // the worker is catching up and restarting the WAL
const WRITER = 2; // the writer is in a write transaction

/** What the worker did so far (for benches). */
export interface CheckpointStats {
  checkpoints: number;
  restarts: number;
  /** Time the writer's gate was held, in all and at most (ms). */
  gateMs: number;
  gateMaxMs: number;
  /** The most frames the WAL held at a checkpoint. */
  maxFrames: number;
}

export class BackgroundCheckpointer {
  stats: CheckpointStats | null = null;
  private written = 0;
  private stopped = false;
  private requested = false;
  private lastRequest = 0;
  /** Writers waiting for the gate to open. */
  private waiters: (() => void)[] = [];
  private patience: NodeJS.Timeout | null = null;
  /** The gate was held past GATE_PATIENCE_MS: write without it until the worker opens it. */
  private impatient = false;

  private readonly exited: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    private readonly gate: Int32Array,
  ) {
    this.exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (message: 'open' | { done: CheckpointStats }) => {
      if (message === 'open') return this.opened();
      this.requested = false;
      this.stats = message.done;
    });
    worker.once('exit', () => {
      this.stopped = true; // no worker, no gate: the fallback threshold takes over
      this.opened();
    });
  }

  /** For a file in WAL mode; `db` is the writer's connection. Null for an in-memory database. */
  static start(db: Database.Database, file: string): BackgroundCheckpointer | null {
    if (file === ':memory:' || file === '' || db.memory) return null;
    const gate = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: require.resolve('better-sqlite3'),
        file,
        gate,
        checkpointFrames: CHECKPOINT_FRAMES,
        restartFrames: RESTART_FRAMES,
        forceRestartFrames: FORCE_RESTART_FRAMES,
        idleMs: IDLE_MS,
        retryMs: CHECKPOINT_INTERVAL_MS,
      },
    });
    worker.unref(); // never what keeps a process alive
    worker.on('error', () => undefined); // the fallback threshold takes over
    db.pragma(`wal_autocheckpoint = ${FALLBACK_PAGES}`);
    return new BackgroundCheckpointer(worker, gate);
  }

  /**
   * Before a write transaction: true when the writer may write now (then `endWrite` after it), false
   * while the worker holds the gate (then `whenOpen` says when to try again). A writer that must write
   * at once may ignore a false: SQLite's locks still order the writes (it may wait a moment for the worker's).
   */
  beginWrite(): boolean {
    if (this.stopped || this.impatient) return true;
    return Atomics.compareExchange(this.gate, 0, OPEN, WRITER) !== WORKER;
  }

  /** After a write transaction, with about how many bytes of rows it wrote. */
  endWrite(bytes: number): void {
    if (Atomics.compareExchange(this.gate, 0, WRITER, OPEN) === WRITER) Atomics.notify(this.gate, 0);
    Atomics.store(this.gate, 1, Date.now() % 2 ** 31);
    this.wrote(bytes);
  }

  /** Calls `then` (on a later turn) once the gate is open again, or the writer stopped waiting for it. */
  whenOpen(then: () => void): void {
    this.waiters.push(then);
    if (this.stopped || Atomics.load(this.gate, 0) !== WORKER) {
      setImmediate(() => this.release()); // opened meanwhile
      return;
    }
    this.patience ??= setTimeout(() => {
      this.patience = null;
      this.impatient = true;
      this.release();
    }, GATE_PATIENCE_MS); // ref'd: a write waiting for the gate keeps the process alive
  }

  private opened(): void {
    if (this.patience) clearTimeout(this.patience);
    this.patience = null;
    this.impatient = false;
    this.release();
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const then of waiters) then();
  }

  /** Notes a commit made without `beginWrite` (or by a writer that does not use the gate). */
  wrote(bytes: number): void {
    this.written += bytes;
    if (this.requested || this.stopped) return;
    const now = performance.now();
    if (this.written < CHECKPOINT_BYTES && now - this.lastRequest < CHECKPOINT_INTERVAL_MS) return;
    this.written = 0;
    this.lastRequest = now;
    this.requested = true;
    this.worker.postMessage('checkpoint');
  }

  /** Closes the worker's connection (before the writer closes its own, which then checkpoints the rest). */
  async stop(): Promise<void> {
    if (this.stopped) return this.exited;
    this.stopped = true;
    // Held while waiting for it to exit: else a process with nothing else to do ends inside close() (the
    // writer's connection left unclosed), as a script that opens and closes a store did.
    this.worker.ref();
    this.worker.postMessage('close');
    await this.exited;
  }
}

// Plain CommonJS, run in the worker. Messages queue while a checkpoint runs; each is answered 'done'.
const WORKER_SOURCE = `
const fs = require('node:fs');
const os = require('node:os');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const { gate, checkpointFrames, restartFrames, forceRestartFrames, idleMs, retryMs } = workerData;
const OPEN = 0, WORKER = 1, WRITER = 2;
const db = new Database(workerData.file, { fileMustExist: true });
const stats = { checkpoints: 0, restarts: 0, gateMs: 0, gateMaxMs: 0, maxFrames: 0 };

// The WAL's size without a checkpoint: the WAL-index header (sqlite.org/walformat.html) at the start of the
// -shm file holds mxFrame (offset 16) and the checkpoint's nBackfill (offset 96), in native byte order.
// Unknown (no -shm file, another layout): null, and every request checkpoints.
let shm = null;
const header = Buffer.alloc(100);
const u32 = os.endianness() === 'LE' ? (o) => header.readUInt32LE(o) : (o) => header.readUInt32BE(o);
function walFrames() {
  try {
    shm ??= fs.openSync(workerData.file + '-shm', 'r');
    if (fs.readSync(shm, header, 0, 100, 0) < 100 || u32(0) !== 3007000) return null;
    return { frames: u32(16), backfilled: u32(96) };
  } catch {
    return null;
  }
}

// Checks again after ms, unasked: a restart put off (the writer busy, a reader in the way) must not wait
// for the next write, which may never come; the WAL would stay long until then.
let retry = null;
function later(ms) {
  retry ??= setTimeout(() => {
    retry = null;
    try { checkpoint(); } catch { later(retryMs); } // busy or failing: again shortly, not at the next write
    parentPort.postMessage({ done: stats }); // as after a request: the writer's stats say what happened
  }, ms);
}

function checkpoint() {
  const wal = walFrames();
  let frames = wal ? wal.frames : 0;
  if (!wal || wal.frames - wal.backfilled >= checkpointFrames) {
    frames = db.pragma('wal_checkpoint(PASSIVE)')[0].log;
    stats.checkpoints++;
  }
  stats.maxFrames = Math.max(stats.maxFrames, frames);
  if (frames < restartFrames) return;
  // Restart when the writer pauses, so that nothing waits for the gate; under steady writes, at the latest near the fallback.
  const idle = (Date.now() % 2 ** 31 - Atomics.load(gate, 1) + 2 ** 31) % 2 ** 31;
  if (idle < idleMs && frames < forceRestartFrames) return later(idleMs);
  // Take the gate between the writer's transactions (they take a few ms at most).
  for (let tries = 0; Atomics.compareExchange(gate, 0, OPEN, WORKER) !== OPEN; tries++) {
    if (tries >= 100) return later(retryMs); // the writer kept it: again shortly
    Atomics.wait(gate, 0, WRITER, 10);
  }
  const t0 = performance.now();
  try {
    // With the writer held back, this one catches up: only what was committed during the first remains.
    const [after] = db.pragma('wal_checkpoint(PASSIVE)');
    // A reader or another process in the way, or a writer that stopped waiting for the gate: again shortly.
    if (after.busy || after.log !== after.checkpointed) return later(retryMs);
    // Any write now starts the WAL over from its beginning (and fsyncs its new header): make one that
    // changes nothing. No busy wait: if another process writes, it restarts the WAL itself.
    db.exec('BEGIN IMMEDIATE');
    try {
      db.pragma('user_version = ' + db.pragma('user_version', { simple: true }));
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
    stats.restarts++;
  } finally {
    Atomics.store(gate, 0, OPEN);
    parentPort.postMessage('open');
    const ms = performance.now() - t0;
    stats.gateMs += ms;
    stats.gateMaxMs = Math.max(stats.gateMaxMs, ms);
  }
}

parentPort.on('message', (message) => {
  if (message === 'close') {
    if (retry !== null) clearTimeout(retry);
    if (shm !== null) fs.closeSync(shm);
    db.close();
    process.exit(0);
  }
  try {
    checkpoint();
  } catch {
    // Busy or failing: tried again shortly (the next write may never come); meanwhile the writer's own
    // threshold still bounds the WAL.
    later(retryMs);
  }
  parentPort.postMessage({ done: stats });
});
`;
