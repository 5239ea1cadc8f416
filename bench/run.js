'use strict';
/**
 * Runs every bench against dist/ (build first: `npm run bench` does) and prints each figure beside
 * its same-run baseline, then the targets.
 *
 *   npm run bench                         # full: ~1M-event replay (time-boxed, see --replay-budget)
 *   npm run bench -- --quick              # smoke: 3 s load, 100k events
 *   npm run bench -- --diagnose           # + per-stage timers, CPU profiles, candidate-fix experiments
 *   npm run bench -- --only=roundtrip|replay|micro --replay-budget=0 --json out.json
 *   npm run bench -- --only=reads|fanout  # list reads (REST, GraphQL) / subscription fan-out
 */
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT, flags, fmt, snapshotDist } = require('./lib/common.js');
const roundtrip = require('./roundtrip.js');
const replay = require('./replay.js');
const micro = require('./micro.js');
const reads = require('./reads.js');
const fanout = require('./fanout.js');

function environment() {
  const git = (cmd) => {
    try {
      return execSync(`git ${cmd}`, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  let pressure = null;
  try {
    pressure = fs.readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0];
  } catch {
    // not Linux, or no PSI
  }
  const dirty = git('status --porcelain -- src');
  return {
    node: process.version,
    cpus: os.cpus().length,
    loadavg: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
    cpuPressure: pressure,
    commit: git('rev-parse --short HEAD'),
    srcDirtyFiles: dirty === null ? null : dirty.split('\n').filter(Boolean).length,
    distBuiltAt: fs.existsSync(path.join(ROOT, 'dist', 'app.js'))
      ? fs.statSync(path.join(ROOT, 'dist', 'app.js')).mtime.toISOString()
      : null,
  };
}

async function main() {
  snapshotDist(); // the code measured stays the code built, whatever rebuilds dist/ meanwhile
  const f = flags();
  const only = f.only ?? null;
  const started = Date.now();
  const env = environment();
  console.log(
    `chronicle bench${f.quick ? ' (--quick)' : ''}: node ${env.node}, ${env.cpus} CPUs, load ${env.loadavg}, ${env.cpuPressure ?? ''}`,
  );
  console.log(
    `dist built ${env.distBuiltAt} from ${env.commit}${env.srcDirtyFiles ? ` + ${env.srcDirtyFiles} uncommitted src/ files` : ''}`,
  );
  const results = { env, started: new Date(started).toISOString() };
  const reports = [];

  if (!only || only === 'roundtrip') {
    results.roundtrip = await roundtrip.runRoundtrip(f);
    reports.push(roundtrip.report(results.roundtrip));
  }
  if (!only || only === 'replay') {
    results.replay = await replay.runReplay(f);
    reports.push(replay.report(results.replay));
  }
  if (!only || only === 'reads') {
    results.reads = await reads.runReads(f);
    reports.push(reads.report(results.reads));
  }
  if (!only || only === 'fanout') {
    results.fanout = await fanout.runFanout(f);
    reports.push(fanout.report(results.fanout));
  }
  if ((f.diagnose && !only) || only === 'micro') {
    results.micro = await micro.runMicro(f);
    reports.push(micro.report(results.micro));
  }
  results.seconds = (Date.now() - started) / 1000;
  results.envAfter = environment();

  console.log('');
  console.log(reports.join('\n\n'));
  console.log('');
  console.log('Targets');
  const all = [];
  if (results.roundtrip)
    for (const [k, t] of Object.entries(results.roundtrip.targets)) all.push([`round trip ${k}`, t]);
  if (results.replay) for (const [k, t] of Object.entries(results.replay.targets)) all.push([`replay ${k}`, t]);
  if (results.reads) for (const [k, t] of Object.entries(results.reads.targets)) all.push([`reads ${k}`, t]);
  if (results.fanout) for (const [k, t] of Object.entries(results.fanout.targets)) all.push([`fanout ${k}`, t]);
  for (const [name, t] of all) {
    const actual =
      typeof t.actual === 'number'
        ? Number.isInteger(t.actual) || t.actual >= 10
          ? fmt.int(t.actual)
          : t.actual.toFixed(3)
        : t.actual;
    console.log(`  ${t.met ? 'MET   ' : 'MISSED'}  ${name.padEnd(34)} ${String(t.target).padEnd(17)} actual ${actual}`);
  }
  console.log(
    `total ${results.seconds.toFixed(0)} s; load before ${env.loadavg}, after ${results.envAfter.loadavg} (2-core shared machine: compare ratios, not absolutes)`,
  );
  if (f.json) {
    fs.writeFileSync(f.json, JSON.stringify(results, null, 2));
    console.log(`results written to ${f.json}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
