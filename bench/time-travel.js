'use strict';
/**
 * Time travel: reads as of random past instants of a large, chat-heavy log (bench/time-travel/generate.js).
 *
 * The log is projected once by `rebuildReadModels`, taking a snapshot every SNAPSHOT_EVERY events as
 * the projector does (the cost is printed). Then, for random instants, each read is rebuilt by
 * TimeTravel (instant → position, nearest snapshot, the events after it) and answered by the same
 * query function the API calls:
 *   point reads  one workspace by slug, one user, one thread's chat history
 *   lists        every workspace, every user
 * Baselines measured in the same run: the same query on the live read models (the present), and the
 * same past read rebuilt without snapshots (replaying from the first event), on fewer samples.
 *
 *   node bench/time-travel.js [--events=1000000] [--every=100000] [--samples=200] [--keep]
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { dist, snapshotDist, flags, tmpDir, rmrf, summarize, fmt, table, procMem } = require('./lib/common.js');

snapshotDist();
const { generate } = require('./time-travel/generate.js');

const opts = flags();
const EVENTS = Number(opts.events ?? (opts.quick ? 100_000 : 1_000_000));
const EVERY = Number(opts.every ?? (opts.quick ? 10_000 : 100_000));
const SAMPLES = Number(opts.samples ?? (opts.quick ? 50 : 200));
const LIST_SAMPLES = Math.max(5, Math.round(SAMPLES / 10));
const BASELINE_SAMPLES = opts.quick ? 3 : 5;
const TARGET_POINT_P50_MS = 100;
const TARGET_LIST_P50_MS = 2000;

const ms = (n) => (n < 10 ? fmt.ms(n) : `${n.toFixed(1)} ms`);

async function main() {
  const { SqliteEventStore } = dist('infra/eventstore/sqlite.js');
  const { SqliteReadStore } = dist('infra/readstore/sqlite.js');
  const { MemoryReadStore } = dist('infra/readstore/memory.js');
  const { rebuildReadModels } = dist('projections/replay.js');
  const { projectionsFor } = dist('projections/all.js');
  const reads = dist('projections/time-travel/reads.js');
  const { TimeTravel } = dist('projections/time-travel/time-travel.js');
  const { pastReadStore } = dist('projections/time-travel/past-read-store.js');
  const { positionAt } = dist('projections/time-travel/position-at.js');
  const { findWorkspaceBySlug, listWorkspaces } = dist('projections/workspaces/queries.js');
  const { findUser, listUsers } = dist('projections/users/queries.js');
  const { chatHistory } = dist('projections/chats/queries.js');

  const dir = tmpDir('time-travel');
  console.log(
    `time travel: ${EVENTS.toLocaleString('en')} events, a snapshot every ${EVERY.toLocaleString('en')}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (${os.cpus().length} cores)`,
  );
  let t = performance.now();
  const log = await generate(path.join(dir, 'events.sqlite'), { events: EVENTS });
  console.log(
    `log generated in ${((performance.now() - t) / 1000).toFixed(1)} s: ${log.head.toLocaleString('en')} events, ${log.chats.toLocaleString('en')} chats`,
  );

  const store = SqliteEventStore.open(path.join(dir, 'events.sqlite'));
  const db = SqliteReadStore.open(path.join(dir, 'readmodels.sqlite'));
  t = performance.now();
  const replayed = await rebuildReadModels(store, db, projectionsFor('event-store'), () => {}, {
    every: EVERY,
    collections: reads.SNAPSHOT_COLLECTIONS,
  });
  const withSnapshots = (performance.now() - t) / 1000;
  const snapshots = await db.collection('snapshots').find({}, { sort: { position: 1 } });
  const fileMb = fs.statSync(path.join(dir, 'readmodels.sqlite')).size / 1e6;
  console.log(
    `replay ${withSnapshots.toFixed(1)} s, taking ${snapshots.length} snapshots (${replayed.events.toLocaleString('en')} events); read store file ${fileMb.toFixed(0)} MB; peak rss ${fmt.mib(procMem(process.pid)?.hwm ?? NaN)}`,
  );

  const admin = { type: 'user', userId: 1, role: 'admin' };
  const timeTravel = new TimeTravel(store, db, () => new MemoryReadStore());
  const noSnapshots = { store, db: new MemoryReadStore(), scratch: () => new MemoryReadStore() };
  const end = log.t0 + log.head * 1000;
  let r = 7;
  const random = (n) => {
    r = (Math.imul(r, 1664525) + 1013904223) >>> 0;
    return Math.floor((r / 2 ** 32) * n);
  };
  const instant = () => new Date(log.t0 + random(end - log.t0));
  const workspaceCount = log.threadIds.length;

  /** One read: `read` names what to rebuild, `query` answers it from a store. */
  const cases = [
    {
      name: 'point: one workspace by slug',
      kind: 'point',
      plan: () => {
        const w = 1 + random(workspaceCount);
        return { read: reads.PAST_WORKSPACES, query: (s) => findWorkspaceBySlug(s, admin, `workspace-${w}`) };
      },
    },
    {
      name: 'point: one user',
      kind: 'point',
      plan: () => {
        const u = 1 + random(1000);
        return { read: reads.PAST_USERS, query: (s) => findUser(s, u) };
      },
    },
    {
      name: "point: one thread's chat history",
      kind: 'point',
      plan: () => {
        const w = random(workspaceCount);
        const thread = log.threadIds[w][random(log.threadIds[w].length)];
        return {
          read: reads.pastChatsOf(w + 1, thread),
          query: (s) => chatHistory(s, admin, { workspaceId: w + 1, threadId: thread }, {}).catch(() => null),
        };
      },
    },
    {
      name: 'list: every workspace',
      kind: 'list',
      plan: () => ({ read: reads.PAST_WORKSPACES, query: (s) => listWorkspaces(s, admin, {}, {}) }),
    },
    {
      name: 'list: every user',
      kind: 'list',
      plan: () => ({ read: reads.PAST_USERS, query: (s) => listUsers(s, {}, {}) }),
    },
  ];

  const rows = [
    [
      'read',
      'as of (snapshots) p50',
      'p99',
      'applied p50',
      'live p50',
      'no snapshots p50',
      'vs no snapshots',
      'target',
      '',
    ],
  ];
  const results = [];
  for (const c of cases) {
    const n = c.kind === 'point' ? SAMPLES : LIST_SAMPLES;
    const past = [];
    const replayedCounts = [];
    for (let i = 0; i < n; i++) {
      const { read, query } = c.plan();
      const at = instant();
      const t0 = performance.now();
      const s = await timeTravel.readStore(read, { instant: at }, (st) => replayedCounts.push(st.replayed));
      await query(s);
      past.push(performance.now() - t0);
    }
    const live = [];
    for (let i = 0; i < n; i++) {
      const { query } = c.plan();
      const t0 = performance.now();
      await query(db);
      live.push(performance.now() - t0);
    }
    const full = [];
    for (let i = 0; i < BASELINE_SAMPLES; i++) {
      const { read, query } = c.plan();
      const at = instant();
      const t0 = performance.now();
      const position = await positionAt(store, at);
      await query(await pastReadStore(noSnapshots, read, position));
      full.push(performance.now() - t0);
    }
    const sPast = summarize(past);
    const sLive = summarize(live);
    const sFull = summarize(full);
    const sReplayed = summarize(replayedCounts);
    const target = c.kind === 'point' ? TARGET_POINT_P50_MS : TARGET_LIST_P50_MS;
    const met = sPast.p50 < target;
    results.push({ name: c.name, past: sPast, live: sLive, full: sFull, replayed: sReplayed, target, met });
    rows.push([
      c.name,
      ms(sPast.p50),
      ms(sPast.p99),
      fmt.int(sReplayed.p50),
      ms(sLive.p50),
      ms(sFull.p50),
      `${(sPast.p50 / sFull.p50).toFixed(3)}x`,
      `p50 < ${target} ms`,
      met ? 'MET' : 'MISSED',
    ]);
    console.log(
      `${c.name}: p50 ${ms(sPast.p50)} p99 ${ms(sPast.p99)} (n=${n}); live ${ms(sLive.p50)}; no snapshots ${ms(sFull.p50)} (n=${full.length})`,
    );
  }
  console.log('');
  console.log(table(rows));
  console.log(
    `load average after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  await store.close();
  await db.close();
  if (!opts.keep) rmrf(dir);
  else console.log(`kept ${dir}`);
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ events: log.head, every: EVERY, results }, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
