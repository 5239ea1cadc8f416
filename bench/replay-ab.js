'use strict';
/**
 * Repeated, rotated comparison of rebuild variants on one log, for conclusions that survive a noisy
 * machine: every variant runs once per round, rounds repeat, medians are reported, every result is
 * verified from disk.
 *
 *   node bench/replay-ab.js [--rounds=3] [--users=10000 --updates=90000] [--variants=a,b,...]
 *
 * Variants (mode[:without[:page]]): rebuild-sqlite, rebuild-sqlite-deferred, apply-noop, readall; ":event_logs" leaves that projection out; ":1000" caps readAll pages (replay.ts
 * BATCH) at 1000, e.g. rebuild-sqlite::1000. Default: the SqliteReadStore variants.
 * `--base=DIR` names another build's dist/ (e.g. main's, compiled elsewhere); a variant ending in `@base`
 * runs against it, in the same rotation: `--variants=rebuild-sqlite@base,rebuild-sqlite`.
 * The directory must sit inside this checkout (its modules resolve node_modules from there).
 */
const path = require('node:path');
const { flags, tmpDir, rmrf, fmt, table } = require('./lib/common.js');
const { generate } = require('./replay/generate.js');
const { verifyReadModels } = require('./replay/verify.js');
const { runMode } = require('./replay.js');
const { shippedProjections } = require('./replay/projections.js');
const fs = require('node:fs');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  require('./lib/common.js').snapshotDist();
  const f = flags();
  const rounds = Number(f.rounds ?? 3);
  const size = { users: Number(f.users ?? 10_000), updates: Number(f.updates ?? 90_000) };
  const variants = String(
    f.variants ?? 'rebuild-sqlite,rebuild-sqlite-deferred,rebuild-sqlite:event_logs,rebuild-sqlite-deferred:event_logs',
  ).split(',');
  const hasLogs = shippedProjections().some((p) => p.name === 'event_logs');
  const base = f.base ? path.resolve(String(f.base)) : null;
  // Older builds have no projectionsFor and rebuild the event_logs archive; whether they do decides what to verify.
  const baseHasLogs = base
    ? require(path.join(base, 'projections/all.js')).ALL_PROJECTIONS.some((p) => p.name === 'event_logs') &&
      !fs.existsSync(path.join(base, 'infra/eventstore/sqlite-event-logs.js'))
    : false;
  const work = tmpDir('ab');
  try {
    const file = path.join(work, 'events.sqlite');
    await generate(file, size);
    const scans = [];
    const results = new Map(variants.map((v) => [v, []]));
    for (let round = 0; round < rounds; round++) {
      scans.push(await runMode('scan', file, path.join(work, 'scan')));
      for (const v of variants) {
        const [spec, which] = v.split('@');
        const [mode, without, page] = spec.split(':');
        if (which && !base) throw new Error(`${v} needs --base=DIR`);
        const dir = path.join(work, `rm-${round}-${v.replace(/[^a-z-]/g, '_')}`);
        const r = await runMode(mode, file, dir, {
          without: without ? [without] : [],
          readPage: Number(page || 0),
          distDir: which ? base : null,
        });
        if (mode !== 'apply-noop' && mode !== 'readall') {
          const logs = (which ? baseHasLogs : hasLogs) && without !== 'event_logs';
          r.verified = await verifyReadModels(dir, size, { eventLogs: logs, eventsFile: which || logs ? null : file });
          if (!r.verified.ok) throw new Error(`${v}: WRONG ${r.verified.problems.join('; ')}`);
        }
        rmrf(dir);
        results.get(v).push(r);
        console.log(
          `round ${round + 1} ${v}: ${fmt.int(r.eventsPerSec)} events/s, ${fmt.int(r.eventsPerCpuSec)} events/CPU-s${r.verified ? ', verified OK' : ''}`,
        );
      }
    }
    const scanRate = median(scans.map((s) => s.eventsPerSec));
    const rows = [
      [
        'variant (mode[:without[:page]])',
        'median events/s',
        'each round',
        'median events/CPU-s',
        'vs raw scan',
        'peak RSS',
      ],
    ];
    rows.push([
      'raw scan baseline',
      fmt.int(scanRate),
      scans.map((s) => fmt.int(s.eventsPerSec)).join(' / '),
      fmt.int(median(scans.map((s) => s.eventsPerCpuSec))),
      '1.000x',
      fmt.mib(median(scans.map((s) => s.hwmMiB))),
    ]);
    for (const [v, rs] of results) {
      rows.push([
        v,
        fmt.int(median(rs.map((r) => r.eventsPerSec))),
        rs.map((r) => fmt.int(r.eventsPerSec)).join(' / '),
        fmt.int(median(rs.map((r) => r.eventsPerCpuSec))),
        fmt.ratio(median(rs.map((r) => r.eventsPerSec)) / scanRate),
        fmt.mib(median(rs.map((r) => r.hwmMiB))),
      ]);
    }
    console.log(
      `\n${fmt.int(size.users + size.updates)} events, ${rounds} rotated rounds, medians; every rebuilt result verified from disk`,
    );
    console.log(table(rows));
  } finally {
    rmrf(work);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
