'use strict';
/** Small helpers shared by the benches: paths, flags, stats, /proc sampling, formatting. */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
/** dist/, or the private snapshot of it this run took (see snapshotDist), inherited by children. */
const distDir = () => process.env.CHRONICLE_BENCH_DIST || path.join(ROOT, 'dist');

/** Requires a compiled module from dist/, with a clear message when `npm run build` was not run. */
function dist(rel) {
  const file = path.join(distDir(), rel);
  if (!fs.existsSync(file)) {
    throw new Error(`${path.relative(ROOT, file)} is missing: run \`npm run build\` first (or \`npm run bench\`).`);
  }
  return require(file);
}

function listing(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const f = path.join(e.parentPath ?? e.path, e.name);
    const st = fs.statSync(f);
    out.push(`${f}:${st.size}:${st.mtimeMs}`);
  }
  return out.sort().join('\n');
}

/**
 * Other work may rebuild dist/ while a bench runs (a test run's global set-up does), which would
 * swap the code under measurement mid-run. The entry scripts call this first: it copies dist/ into
 * bench/.dist-snapshot-<pid>/dist (under the repository, so node_modules still resolve), checks the
 * copy is of one consistent build, points this process and its children at it, and removes it on exit.
 */
function snapshotDist() {
  if (process.env.CHRONICLE_BENCH_DIST) return process.env.CHRONICLE_BENCH_DIST;
  const source = path.join(ROOT, 'dist');
  if (!fs.existsSync(path.join(source, 'app.js')))
    throw new Error('dist/ is missing: run `npm run build` first (or `npm run bench`).');
  const base = path.join(__dirname, '..', `.dist-snapshot-${process.pid}`);
  const target = path.join(base, 'dist');
  process.on('exit', () => fs.rmSync(base, { recursive: true, force: true }));
  for (let attempt = 0; attempt < 10; attempt++) {
    fs.rmSync(base, { recursive: true, force: true });
    const before = listing(source);
    fs.cpSync(source, target, { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(base, 'package.json')); // dist reads ../package.json
    if (listing(source) === before) {
      process.env.CHRONICLE_BENCH_DIST = target;
      return target;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000); // a build is running: wait, retry
  }
  throw new Error('dist/ kept changing while being copied; is a build running in a loop?');
}

function flags(argv = process.argv.slice(2)) {
  const out = { quick: false, json: null, diagnose: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') out.quick = true;
    else if (a === '--diagnose') out.diagnose = true;
    else if (a === '--keep') out.keep = true;
    else if (a === '--json') out.json = argv[++i];
    else if (a.startsWith('--json=')) out.json = a.slice(7);
    else if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=');
      out[k] = v === undefined ? true : v;
    }
  }
  return out;
}

function tmpDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `chronicle-bench-${prefix}-`));
}

function rmrf(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Percentile over a sorted Float64Array (nearest rank). */
function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

function summarize(latenciesMs) {
  const sorted = Float64Array.from(latenciesMs).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n: sorted.length,
    mean: sorted.length ? sum / sorted.length : NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

/** VmRSS / VmHWM of a process in MiB, from /proc (Linux). Null when unavailable. */
function procMem(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => {
      const m = status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
      return m ? Number(m[1]) / 1024 : null;
    };
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** utime+stime of a process in seconds, from /proc/<pid>/stat. */
function procCpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** Samples VmRSS of `pid` every `ms`; stop() answers the peak sample and the kernel's VmHWM. */
function rssSampler(pid, ms = 100) {
  let peak = 0;
  const tick = () => {
    const m = procMem(pid);
    if (m && m.rss > peak) peak = m.rss;
  };
  tick();
  const timer = setInterval(tick, ms);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      tick();
      const m = procMem(pid);
      return { peakSampledMiB: peak, hwmMiB: m ? m.hwm : null };
    },
  };
}

const fmt = {
  int: (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n)),
  ms: (n) => (Number.isFinite(n) ? `${n.toFixed(2)} ms` : String(n)),
  mib: (n) => (Number.isFinite(n) ? `${n.toFixed(0)} MiB` : String(n)),
  pct: (r) => (Number.isFinite(r) ? `${(r * 100).toFixed(1)}%` : String(r)),
  ratio: (r) => (Number.isFinite(r) ? `${r.toFixed(3)}x` : String(r)),
};

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((v, c) => String(v).padEnd(widths[c])).join('  ')).join('\n');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Answers the first IPC message from a child that satisfies `pred`. */
function nextMessage(child, pred = () => true, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`child ${child.pid}: no message within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m) => {
      if (m && m.error) return done(new Error(`child ${child.pid}: ${m.error}`));
      if (pred(m)) done(null, m);
    };
    const onExit = (code, signal) => done(new Error(`child ${child.pid} exited (${code ?? signal}) before answering`));
    function done(err, m) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Runs a forked child to completion and answers its last IPC message. */
function runChild(child, timeoutMs = 600_000) {
  return new Promise((resolve, reject) => {
    let last = null;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child ${child.pid} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (m) => {
      last = m;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (last && last.error) return reject(new Error(`child ${child.pid}: ${last.error}`));
      if (code !== 0) return reject(new Error(`child ${child.pid} exited with ${code ?? signal}`));
      resolve(last);
    });
  });
}

/** Reports a child's failure to its parent instead of dying silently. */
function childMain(fn) {
  fn().then(
    () => {},
    (err) => {
      const error = err && err.stack ? err.stack : String(err);
      if (process.send) process.send({ error }, () => process.exit(1));
      else {
        console.error(error);
        process.exit(1);
      }
    },
  );
}

/**
 * The tail every bench entry script shares: snapshot dist/, parse flags, run, print the report (and
 * `--json` the result). `environment` (optional) is printed before and recorded after the run, for
 * benches whose figures need the machine's load beside them.
 */
function runAsMain(run, report, { environment } = {}) {
  snapshotDist();
  const f = flags();
  const env = environment?.();
  if (env)
    console.log(
      `node ${env.node}, ${env.cpus} CPUs, load ${env.loadavg}, ${env.cpuPressure ?? ''}; ${env.commit}${env.srcDirty.length ? ` + ${env.srcDirty.length} uncommitted src/ paths` : ''}; dist built ${env.distBuiltAt}`,
    );
  run(f).then(
    (r) => {
      if (env) {
        r.env = env;
        r.envAfter = environment();
        console.log('');
      }
      console.log(report(r));
      if (env)
        console.log(
          `load before ${env.loadavg}, after ${r.envAfter.loadavg} (2-core shared machine: compare ratios, not absolutes)`,
        );
      if (f.json) fs.writeFileSync(f.json, JSON.stringify(r, null, 2));
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

module.exports = {
  ROOT,
  distDir,
  dist,
  snapshotDist,
  flags,
  tmpDir,
  rmrf,
  percentile,
  summarize,
  procMem,
  procCpuSeconds,
  rssSampler,
  fmt,
  table,
  sleep,
  nextMessage,
  runChild,
  childMain,
  runAsMain,
};
