'use strict';
/**
 * (b) Replay + (c) replaying process RSS.
 *
 * Fills a fresh SQLite event store (dist SqliteEventStore schema) with USERS UserRegistered +
 * UPDATES UserUpdated events, then, each in its own child process:
 *   baseline  raw better-sqlite3 .iterate() over the events table + JSON.parse(data, metadata)
 *   rebuild   dist rebuildReadModels(ALL_PROJECTIONS) into the embedded SqliteReadStore
 * and verifies each rebuilt result from disk (100,000 users with their final daily_message_limit
 * and _pos, checkpoint at the head, one event_logs entry per event).
 *
 *   node bench/replay.js [--quick] [--diagnose] [--replay-budget=SECONDS] [--keep] [--events=FILE] [--json out.json]
 *
 * --replay-budget: a rebuild child is stopped after this many seconds (default 150 s, unlimited with
 *   --quick; 0: unlimited); its rate so far comes
 *   from its progress reports, and verification is skipped.
 * --keep / --events=FILE: keep the generated event store, and reuse it in a later run.
 * --diagnose: where the time goes, on a 100k-event log (see diagnose() below).
 */
const { fork } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { distDir, tmpDir, rmrf, rssSampler, fmt, table } = require('./lib/common.js');
const { summarizeProfile, formatProfile } = require('./lib/cpuprofile.js');
const { generate } = require('./replay/generate.js');
const { verifyReadModels } = require('./replay/verify.js');
const { shippedProjections } = require('./replay/projections.js');

const TARGET_EVENTS_PER_SEC = 50_000;
const TARGET_RATIO = 0.7;
const CHILD = path.join(__dirname, 'replay', 'replay-child.js');

function sizes(quick) {
  return quick ? { users: 10_000, updates: 90_000 } : { users: 100_000, updates: 900_000 };
}

/** Runs one replay-child mode; stops it after budgetSeconds (0: never) and reports progress so far. */
function runMode(
  mode,
  file,
  dir,
  { budgetSeconds = 0, execArgv = [], without = [], readPage = 0, distDir: otherDist = null } = {},
) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, BENCH_WITHOUT: without.join(','), BENCH_READ_PAGE: String(readPage || '') };
    if (otherDist) env.CHRONICLE_BENCH_DIST = otherDist; // A/B against another build (replay-ab.js --base)
    const child = fork(CHILD, [mode, file, dir], { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const rss = rssSampler(child.pid, 200);
    let lastProgress = null;
    let result = null;
    let error = null;
    let timedOut = false;
    const timer =
      budgetSeconds > 0
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, budgetSeconds * 1000)
        : null;
    child.on('message', (m) => {
      if (m.progress) lastProgress = m.progress;
      if (m.result) result = m.result;
      if (m.error) error = m.error;
    });
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      const mem = rss.stop();
      if (timedOut) {
        const p = lastProgress ?? { position: 0, atSeconds: budgetSeconds, cpuSeconds: NaN };
        return resolve({
          mode,
          timedOut: true,
          budgetSeconds,
          events: p.position,
          seconds: p.atSeconds,
          cpuSeconds: p.cpuSeconds,
          eventsPerSec: p.position / p.atSeconds,
          eventsPerCpuSec: p.position / p.cpuSeconds,
          hwmMiB: p.hwmMiB ?? mem.peakSampledMiB,
        });
      }
      if (error) return reject(new Error(`${mode}: ${error}`));
      if (code !== 0 || !result) return reject(new Error(`${mode}: child exited with ${code ?? signal}`));
      resolve({ ...result, sampledPeakMiB: mem.peakSampledMiB });
    });
  });
}

/** Names of the projections a rebuild runs (the shipped embedded ones as currently built in dist/). */
function projectionNames(without = []) {
  return shippedProjections()
    .map((p) => p.name)
    .filter((n) => !without.includes(n));
}

/** The read store to rebuild into: the embedded SqliteReadStore, the one app.ts opens. */
function readStores() {
  const app = fs.readFileSync(path.join(distDir(), 'app.js'), 'utf8');
  return [
    { key: 'sqlite', mode: 'rebuild-sqlite', label: 'SqliteReadStore', shipped: /SqliteReadStore\.open/.test(app) },
  ];
}

async function runReplay(opts = {}) {
  const log = opts.log ?? console.log;
  const size = sizes(opts.quick);
  const total = size.users + size.updates;
  const stores = readStores();
  const budgetFor = () => {
    if (opts['replay-budget'] !== undefined) return Number(opts['replay-budget']);
    return opts.quick ? 0 : 150;
  };
  const work = tmpDir('replay');
  const out = { size, projections: projectionNames(), stores: {} };
  const eventLogs = out.projections.includes('event_logs');
  try {
    let file = path.join(work, 'events.sqlite');
    if (opts.events) {
      file = path.resolve(opts.events);
      log(`[replay] reusing ${file}`);
    } else {
      const t0 = Date.now();
      log(
        `[replay] generating ${fmt.int(total)} events (${fmt.int(size.users)} UserRegistered + ${fmt.int(size.updates)} UserUpdated)...`,
      );
      await generate(file, size);
      out.generateSeconds = (Date.now() - t0) / 1000;
      log(
        `[replay] generated in ${out.generateSeconds.toFixed(1)} s (${(fs.statSync(file).size / 1048576).toFixed(0)} MiB)`,
      );
    }

    out.baseline = await runMode('scan', file, path.join(work, 'scan'));
    if (out.baseline.events !== total) throw new Error(`scan saw ${out.baseline.events} events, expected ${total}`);
    log(
      `[replay] baseline raw scan: ${fmt.int(out.baseline.eventsPerSec)} events/s (${out.baseline.seconds.toFixed(1)} s)`,
    );

    for (const st of stores) {
      const budgetSeconds = budgetFor(st.key);
      const dir = path.join(work, `readmodels-${st.key}`);
      const r = await runMode(st.mode, file, dir, { budgetSeconds });
      let verified;
      if (r.timedOut) {
        log(
          `[replay] ${st.label} rebuild stopped after its ${budgetSeconds} s budget at position ${fmt.int(r.events)}/${fmt.int(total)}: ${fmt.int(r.eventsPerSec)} events/s so far`,
        );
        verified = {
          ok: false,
          skipped: `did not finish within the ${budgetSeconds} s budget (--replay-budget=0 runs it to the end)`,
        };
      } else {
        log(
          `[replay] ${st.label} rebuild: ${fmt.int(r.eventsPerSec)} events/s (${r.seconds.toFixed(1)} s); verifying from disk...`,
        );
        verified = await verifyReadModels(dir, size, { eventLogs, store: st.key, eventsFile: file });
        log(`[replay] ${st.label} verified: ${verified.ok ? 'OK' : `WRONG: ${verified.problems.join('; ')}`}`);
      }
      rmrf(dir);
      const ratio = r.eventsPerSec / out.baseline.eventsPerSec;
      out.stores[st.key] = {
        ...st,
        budgetSeconds,
        result: r,
        verified,
        ratio,
        cpuRatio: r.eventsPerCpuSec / out.baseline.eventsPerCpuSec,
        targets: {
          rate: {
            target: `>= ${fmt.int(TARGET_EVENTS_PER_SEC)} ev/s`,
            actual: r.eventsPerSec,
            met: !r.timedOut && r.eventsPerSec >= TARGET_EVENTS_PER_SEC,
          },
          ratio: { target: `>= ${TARGET_RATIO}`, actual: ratio, met: !r.timedOut && ratio >= TARGET_RATIO },
          correct: {
            target: 'verified',
            actual: verified.ok ? 'ok' : verified.skipped ? 'skipped' : 'WRONG',
            met: verified.ok === true,
          },
        },
      };
    }
    out.targets = {};
    for (const [key, st] of Object.entries(out.stores))
      for (const [k, t] of Object.entries(st.targets)) out.targets[`${k} (${key}${st.shipped ? ', shipped' : ''})`] = t;

    if (opts.diagnose)
      out.diagnosis = await diagnose(
        work,
        opts.quick && !opts.events ? { file, size, baseline: out.baseline } : null,
        stores,
        log,
      );
    if (opts.keep && !opts.events) log(`[replay] kept the event store: ${file} (reuse with --events=${file})`);
  } finally {
    if (!opts.keep || opts.events) rmrf(work);
  }
  return out;
}

/**
 * Where the time goes, on a 100k-event log (the full one would take many minutes per mode): the
 * same log through growing parts of the pipeline, each in its own process; the real rebuilds under
 * --cpu-prof; what event_logs costs; and the experiment of a SqliteReadStore with rebuilt collections
 * flushed once, every rebuilt result verified from disk.
 */
async function diagnose(work, reuse, stores, log) {
  const size = { users: 10_000, updates: 90_000 };
  let file = reuse?.file;
  if (!file) {
    file = path.join(work, 'events-100k.sqlite');
    await generate(file, size);
  }
  const all = projectionNames();
  const hasLogs = all.includes('event_logs');
  const d = { size, projections: all, rows: [], profiles: {} };
  const row = async (key, label, mode, opts = {}) => {
    const dir = path.join(work, `rm-${key}`);
    const r = opts.reuse ?? (await runMode(mode, file, dir, opts));
    if (opts.verify) {
      r.verified = await verifyReadModels(dir, size, {
        eventLogs: hasLogs && !(opts.without ?? []).includes('event_logs'),
        eventsFile: file,
      });
    }
    rmrf(dir);
    d.rows.push({ key, label, ...r });
    log(
      `[replay:diagnose] ${label}: ${fmt.int(r.eventsPerSec)} events/s, ${fmt.int(r.eventsPerCpuSec)} events/CPU-s${r.verified ? `, verified ${r.verified.ok ? 'OK' : `WRONG ${r.verified.problems.join('; ')}`}` : ''}`,
    );
    return r;
  };
  const profiled = (key) => {
    const profDir = path.join(work, `prof-${key}`);
    d.profiles[key] = profDir;
    return ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
  };
  const noLogs = hasLogs ? { without: ['event_logs'] } : null;
  d.baseline = await row('scan', 'baseline: raw .iterate() + JSON.parse', 'scan', { reuse: reuse?.baseline });
  await row('readall', 'SqliteEventStore.readAll pages only', 'readall');
  await row('apply-noop', '+ projections & applyGuarded, no-op store', 'apply-noop');
  if (noLogs) await row('apply-noop-no-logs', '  same, without event_logs', 'apply-noop', noLogs);
  if (stores.some((s) => s.key === 'sqlite')) {
    await row('sqlite', 'rebuild → SqliteReadStore (under --cpu-prof)', 'rebuild-sqlite', {
      store: 'sqlite',
      verify: true,
      execArgv: profiled('sqlite'),
    });
    if (noLogs)
      await row('sqlite-no-logs', '  same, without event_logs', 'rebuild-sqlite', {
        store: 'sqlite',
        verify: true,
        ...noLogs,
      });
    await row('sqlite-deferred', 'EXPERIMENT SqliteReadStore, rebuild flushed once', 'rebuild-sqlite-deferred', {
      store: 'sqlite',
      verify: true,
    });
    if (noLogs)
      await row('sqlite-deferred-no-logs', '  same, without event_logs', 'rebuild-sqlite-deferred', {
        store: 'sqlite',
        verify: true,
        ...noLogs,
      });
  }
  for (const [key, profDir] of Object.entries(d.profiles)) {
    const prof = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    d.profiles[key] = summarizeProfile(path.join(profDir, prof), {
      inclusive: [
        'flushNow',
        'put',
        'applyUpdate',
        'matcher',
        'readAllSync',
        'toRecorded',
        'applyGuarded',
        'publicData',
      ],
    });
  }
  return d;
}

function report(r) {
  const b = r.baseline;
  const lines = [];
  lines.push(
    `(b) Replay — ${fmt.int(r.size.users + r.size.updates)} events (${fmt.int(r.size.users)} UserRegistered + ${fmt.int(r.size.updates)} UserUpdated)${r.generateSeconds ? `, generated in ${r.generateSeconds.toFixed(0)} s` : ''}; projections: ${r.projections.join(', ')}`,
  );
  const rows = [
    ['', 'events', 'wall', 'events/s', 'vs scan', 'CPU', 'events/CPU-s', 'vs scan', 'peak RSS', 'verified'],
  ];
  for (const st of Object.values(r.stores)) {
    const x = st.result;
    const v = st.verified;
    rows.push([
      `rebuildReadModels → ${st.label}${st.shipped ? ' (shipped)' : ''}${x.timedOut ? ` STOPPED at ${st.budgetSeconds} s` : ''}`,
      fmt.int(x.events),
      `${x.seconds.toFixed(1)} s`,
      fmt.int(x.eventsPerSec),
      fmt.ratio(st.ratio),
      `${x.cpuSeconds.toFixed(1)} s`,
      fmt.int(x.eventsPerCpuSec),
      fmt.ratio(st.cpuRatio),
      fmt.mib(x.hwmMiB),
      v.ok ? 'OK' : v.skipped ? 'skipped' : 'WRONG',
    ]);
  }
  rows.push([
    'baseline: raw .iterate() + JSON.parse',
    fmt.int(b.events),
    `${b.seconds.toFixed(1)} s`,
    fmt.int(b.eventsPerSec),
    '1.000x',
    `${b.cpuSeconds.toFixed(1)} s`,
    fmt.int(b.eventsPerCpuSec),
    '1.000x',
    fmt.mib(b.hwmMiB),
    '',
  ]);
  lines.push(table(rows));
  for (const st of Object.values(r.stores)) {
    const v = st.verified;
    lines.push(
      `    ${st.label}: ${v.ok ? `verified from disk: ${fmt.int(v.usersDocs)} users with final daily_message_limit and _pos${v.eventLogEntries !== null ? `, ${fmt.int(v.eventLogEntries)} event_logs entries` : ''}${v.eventLogCount != null ? `, event logs from the events table (a page, a filtered page, counts ${fmt.int(v.eventLogCount)})` : ''}, checkpoint ${fmt.int(v.checkpoint)}` : v.skipped ? `verification skipped: ${v.skipped}` : `WRONG: ${v.problems.join('; ')}`}`,
    );
  }
  lines.push(
    `(c) replaying process peak RSS: ${Object.values(r.stores)
      .map((st) => `${st.label} ${fmt.mib(st.result.hwmMiB)}${st.result.timedOut ? ' (at stop)' : ''}`)
      .join(', ')}; raw scan process ${fmt.mib(b.hwmMiB)}`,
  );
  for (const [k, t] of Object.entries(r.targets)) {
    lines.push(
      `    target ${k.padEnd(26)} ${t.target.padEnd(17)} actual ${typeof t.actual === 'number' ? (t.actual < 10 ? t.actual.toFixed(3) : fmt.int(t.actual)) : t.actual}  ${t.met ? 'MET' : 'MISSED'}`,
    );
  }
  if (r.diagnosis) {
    const d = r.diagnosis;
    const base = d.baseline;
    lines.push('');
    lines.push(
      `  diagnose: a ${fmt.int(d.size.users + d.size.updates)}-event log through parts of the pipeline (each its own process; projections: ${d.projections.join(', ')})`,
    );
    const dr = [['stage', 'events/s', 'events/CPU-s', 'vs raw scan', 'peak RSS', 'notes']];
    for (const v of d.rows) {
      const notes = [
        v.verified ? (v.verified.ok ? 'verified OK' : 'WRONG') : '',
        v.flushSeconds !== undefined ? `flush ${v.flushSeconds.toFixed(1)} s of ${v.seconds.toFixed(1)} s` : '',
      ]
        .filter(Boolean)
        .join(', ');
      dr.push([
        v.label,
        fmt.int(v.eventsPerSec),
        fmt.int(v.eventsPerCpuSec),
        fmt.ratio(v.eventsPerSec / base.eventsPerSec),
        fmt.mib(v.hwmMiB),
        notes,
      ]);
    }
    lines.push(table(dr).replace(/^/gm, '    '));
    for (const p of Object.values(d.profiles)) {
      lines.push(`  diagnose: CPU profile of the SqliteReadStore rebuild above`);
      lines.push(formatProfile(p, { cats: 10, fns: 12 }).replace(/^/gm, '    '));
    }
  }
  return lines.join('\n');
}

module.exports = { runReplay, report, runMode };

if (require.main === module) require('./lib/common.js').runAsMain(runReplay, report);
