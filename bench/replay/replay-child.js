'use strict';
/**
 * Child process for the replay bench: one mode per process, so each has its own RSS.
 *   node replay-child.js <mode> <events.sqlite> <readmodels dir>
 * Modes:
 *   rebuild-sqlite  the real thing: dist rebuildReadModels(shipped projections, see projections.js) from
 *                SqliteEventStore into dist's SqliteReadStore (<dir>/readmodels.sqlite), then db.close()
 *   rebuild-sqlite-deferred  experiment: the same, rebuilt collections flushed once at the switch-over
 *   scan         baseline: raw better-sqlite3 .iterate() over events + JSON.parse(data, metadata)
 *   readall      diagnosis: the adapter's readAll in pages of 5000 (toRecorded, Date), nothing applied
 *   apply-noop   diagnosis: readAll + projectionApplier + applyGuarded into a ReadStore that does nothing
 * BENCH_WITHOUT=name,... leaves those projections out (to measure what one costs).
 * BENCH_READ_PAGE=n caps readAll pages at n events (experiment: replay.ts BATCH = n).
 * Answers {result} over IPC with seconds, events and VmHWM of this process.
 */
const fs = require('node:fs');
const path = require('node:path');
const { dist, childMain, procMem } = require('../lib/common.js');
const { shippedProjections } = require('./projections.js');

const BATCH = 5000; // same page size as projections/replay.ts

/** The shipped embedded projections (replay/projections.js), minus those named in BENCH_WITHOUT (comma list). */
function projections() {
  const without = new Set((process.env.BENCH_WITHOUT ?? '').split(',').filter(Boolean));
  return shippedProjections().filter((p) => !without.has(p.name));
}

function hwm() {
  const m = procMem(process.pid);
  return m ? m.hwm : process.memoryUsage().rss / 1048576;
}

async function scan(file) {
  const Database = require('better-sqlite3');
  const db = new Database(file, { readonly: true });
  const t0 = performance.now();
  let events = 0;
  let check = 0;
  for (const row of db
    .prepare('SELECT position, id, stream, revision, type, data, metadata, created_at FROM events ORDER BY position')
    .iterate()) {
    const data = JSON.parse(row.data);
    const metadata = JSON.parse(row.metadata);
    check += data.userId + metadata.schemaVersion;
    events++;
  }
  const seconds = (performance.now() - t0) / 1000;
  db.close();
  return { events, seconds, check };
}

async function readall(file) {
  const { SqliteEventStore } = dist('infra/eventstore/sqlite.js');
  const store = SqliteEventStore.open(file);
  const t0 = performance.now();
  let after = 0;
  let events = 0;
  for (;;) {
    const batch = await store.readAll({ after, maxCount: BATCH });
    if (!batch.length) break;
    after = batch[batch.length - 1].position;
    events += batch.length;
  }
  const seconds = (performance.now() - t0) / 1000;
  await store.close();
  return { events, seconds };
}

/** A ReadStore whose collections accept everything and keep nothing: cost of the projection code itself. */
function noopStore() {
  const coll = (name) => ({
    name,
    findOne: async () => null,
    find: async () => [],
    count: async () => 0,
    insertOne: async () => {},
    updateOne: async () => ({ matched: 1, upserted: false }),
    updateMany: async () => ({ matched: 0 }),
    deleteOne: async () => ({ deleted: 0 }),
    deleteMany: async () => ({ deleted: 0 }),
    ensureIndex: async () => {},
  });
  return {
    collection: coll,
    drop: async () => {},
    rename: async () => {},
    listCollections: async () => [],
    flush: async () => {},
    sync: async () => {},
    ping: async () => {},
    close: async () => {},
  };
}

async function applyNoop(file) {
  const { SqliteEventStore } = dist('infra/eventstore/sqlite.js');
  const ALL_PROJECTIONS = projections();
  const { rebuildReadModels } = dist('projections/replay.js');
  const store = SqliteEventStore.open(file);
  const t0 = performance.now();
  const r = await rebuildReadModels(store, noopStore(), ALL_PROJECTIONS);
  const seconds = (performance.now() - t0) / 1000;
  await store.close();
  return { events: r.events, seconds };
}

/** The read store a rebuild writes into: the SqliteReadStore, on a file in `dir`. */
async function openReadStore(dir) {
  const { SqliteReadStore } = dist('infra/readstore/sqlite.js');
  fs.mkdirSync(dir, { recursive: true });
  return SqliteReadStore.open(path.join(dir, 'readmodels.sqlite'));
}

/**
 * EXPERIMENT for SqliteReadStore: collections being rebuilt (`*__rebuild`) are not flushed every
 * 20,000 pending writes but once, at the switch-over (rename flushes first). Their documents are
 * in memory anyway; flushing mid-replay rewrites a document once per flush it was touched in.
 */
function deferRebuildFlushes() {
  // Builds that split the store keep its pending writes in WriteBehind; older ones in the store itself.
  let P;
  try {
    P = dist('infra/readstore/sqlite-write-behind.js').WriteBehind.prototype;
  } catch {
    P = dist('infra/readstore/sqlite.js').SqliteReadStore.prototype;
  }
  const written = P.written;
  P.written = function (name, id, doc) {
    if (!name.endsWith('__rebuild')) return written.call(this, name, id, doc);
    let writes = this.pending.get(name);
    if (!writes) this.pending.set(name, (writes = new Map()));
    if (!writes.has(id)) this.pendingCount++; // counted (flushNow skips when 0), but no flush at 20,000
    writes.set(id, doc);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushNow());
    }
  };
}

/** rebuildReadModels as `chronicle replay` runs it; timed up to the read store's close (its last flush). */
async function rebuild(file, dir) {
  const { SqliteEventStore } = dist('infra/eventstore/sqlite.js');
  const ALL_PROJECTIONS = projections();
  const { rebuildReadModels } = dist('projections/replay.js');
  const store = SqliteEventStore.open(file);
  const db = await openReadStore(dir);
  const progress = [];
  const t0 = performance.now();
  let lastMark = t0;
  const cpu0 = process.cpuUsage();
  const r = await rebuildReadModels(store, db, ALL_PROJECTIONS, (position) => {
    const t = performance.now();
    if (t - lastMark >= 1000) {
      const cpu = process.cpuUsage(cpu0);
      const mark = { atSeconds: (t - t0) / 1000, position, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
      progress.push(mark);
      // The parent may stop a rebuild that overruns its time budget: it then reports this rate.
      if (process.send) process.send({ progress: { ...mark, hwmMiB: hwm() } });
      lastMark = t;
    }
  });
  const t1 = performance.now();
  await db.close(); // flushes what is pending
  const t2 = performance.now();
  await store.close();
  return {
    store: 'sqlite',
    events: r.events,
    position: r.position,
    seconds: (t2 - t0) / 1000,
    rebuildSeconds: (t1 - t0) / 1000,
    closeSeconds: (t2 - t1) / 1000,
    progress,
  };
}

/**
 * EXPERIMENT: BENCH_READ_PAGE=n caps every readAll page at n events, which for rebuildReadModels is
 * the same as its BATCH (5000) set to n: it asks for 5000, gets n, and reads on until a page is empty.
 */
function capReadPages() {
  const cap = Number(process.env.BENCH_READ_PAGE || 0);
  if (!cap) return;
  const { SqliteEventStore } = dist('infra/eventstore/sqlite.js');
  const readAll = SqliteEventStore.prototype.readAll;
  SqliteEventStore.prototype.readAll = function (options = {}) {
    return readAll.call(this, { ...options, maxCount: Math.min(options.maxCount ?? cap, cap) });
  };
}

childMain(async () => {
  const [mode, file, dir] = process.argv.slice(2);
  // Older builds let a process whose only work is a store's close() end inside it (the checkpointer's
  // worker is unref'd): held open here, so they can be measured too (replay-ab --base).
  setInterval(() => {}, 60_000);
  capReadPages();
  // CPU of the whole process (main thread, GC and libuv threads) over the mode's run: on a shared,
  // noisy machine events per CPU-second is steadier than events per wall-second.
  const cpu0 = process.cpuUsage();
  let result;
  switch (mode) {
    case 'scan':
      result = await scan(file);
      break;
    case 'readall':
      result = await readall(file);
      break;
    case 'apply-noop':
      result = await applyNoop(file);
      break;
    case 'rebuild-sqlite':
      result = await rebuild(file, dir);
      break;
    case 'rebuild-sqlite-deferred':
      deferRebuildFlushes();
      result = await rebuild(file, dir);
      break;
    default:
      throw new Error(`unknown mode ${mode}`);
  }
  const cpu = process.cpuUsage(cpu0);
  result.mode = mode;
  result.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  result.eventsPerSec = result.events / result.seconds;
  result.eventsPerCpuSec = result.events / result.cpuSeconds;
  result.hwmMiB = hwm();
  result.memory = process.memoryUsage();
  process.send({ result }, () => process.exit(0));
});
