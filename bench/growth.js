'use strict';
/**
 * How the embedded server grows with its data: for each size, a generated log of N UserRegistered
 * events (N read-model documents once projected; bench/replay/generate.js writes them as the domain
 * does), then `node dist/server.js` (the compiled server as `npm start` runs it) started twice on it:
 *   first start  the read models are empty and the whole log is still to be projected;
 *   restart      caught up: what a restart costs with N documents in the read store.
 * Size 0 is an empty DATA_DIR (both starts then cost the same: module loading, opening, the API).
 * For each: time from spawn to the first /healthz 200 (the port open and answering) and to the first
 * /readyz 200 (caught up), the slowest /healthz answer once the port answered and before ready (how
 * long the event loop stalls while the server loads and catches up), the last /readyz 503 body seen
 * while starting and the first while catching up (their progress), and resident memory (VmRSS, and
 * the peak VmHWM) once ready.
 *
 *   node bench/growth.js [--sizes=0,100000,1000000] [--keep]
 */
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { distDir, flags, procMem, rmrf, snapshotDist, tmpDir } = require('./lib/common.js');
const { generate } = require('./replay/generate.js');

const POLL_MS = 25;
const READY_TIMEOUT_MS = 30 * 60_000;

function get(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res
        .setEncoding('utf8')
        .on('data', (c) => (body += c))
        .on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts the compiled server on dataDir and follows /healthz and /readyz until ready; leaves it stopped. */
async function startAndFollow(dataDir) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(distDir(), 'server.js')], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      JWT_SECRET: 'x'.repeat(32),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const base = `http://127.0.0.1:${port}`;
  const out = {
    healthzMs: null,
    readyzMs: null,
    slowestHealthzMs: null,
    starting: null,
    notReady: null,
    rssMiB: null,
    peakMiB: null,
  };
  try {
    while (performance.now() - started < READY_TIMEOUT_MS) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
      const asked = performance.now();
      const alive = (await get(`${base}/healthz`))?.status === 200;
      if (alive && out.healthzMs === null) out.healthzMs = performance.now() - started;
      else if (alive) out.slowestHealthzMs = Math.max(out.slowestHealthzMs ?? 0, performance.now() - asked);
      if (out.healthzMs !== null) {
        const ready = await get(`${base}/readyz`);
        const body = ready?.status === 503 ? JSON.parse(ready.body) : null;
        if (body?.status === 'starting') out.starting = body;
        else if (body && !out.notReady) out.notReady = body;
        if (ready?.status === 200) {
          out.readyzMs = performance.now() - started;
          const mem = procMem(child.pid);
          out.rssMiB = mem?.rss ?? null;
          out.peakMiB = mem?.hwm ?? null;
          return out;
        }
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    throw new Error('not ready in time');
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const fmtMs = (ms) => (ms === null ? '–' : `${(ms / 1000).toFixed(2)} s`);
const fmtLatency = (ms) => (ms === null ? '–' : `${Math.round(ms)} ms`);
const fmtMiB = (m) => (m === null ? '–' : `${Math.round(m)} MiB`);

async function run(sizes, keep) {
  const rows = [];
  for (const n of sizes) {
    const dir = tmpDir('growth');
    try {
      const t0 = performance.now();
      if (n > 0) await generate(path.join(dir, 'events.sqlite'), { users: n, updates: 0 });
      console.log(`${n.toLocaleString('en')} events generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const first = await startAndFollow(dir);
      console.log(
        `  first start: healthz ${fmtMs(first.healthzMs)}, ready ${fmtMs(first.readyzMs)}, slowest healthz ${fmtLatency(first.slowestHealthzMs)}, ${fmtMiB(first.rssMiB)} (peak ${fmtMiB(first.peakMiB)}); starting, /readyz said ${JSON.stringify(first.starting)}; catching up, ${JSON.stringify(first.notReady)}`,
      );
      const restart = await startAndFollow(dir);
      console.log(
        `  restart:     healthz ${fmtMs(restart.healthzMs)}, ready ${fmtMs(restart.readyzMs)}, slowest healthz ${fmtLatency(restart.slowestHealthzMs)}, ${fmtMiB(restart.rssMiB)} (peak ${fmtMiB(restart.peakMiB)}); starting, /readyz said ${JSON.stringify(restart.starting)}`,
      );
      const files = Object.fromEntries(
        fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.sqlite'))
          .map((f) => [f, fs.statSync(path.join(dir, f)).size]),
      );
      rows.push({ documents: n, first, restart, files });
    } finally {
      if (keep) console.log(`  kept ${dir}`);
      else rmrf(dir);
    }
  }
  return rows;
}

function report(rows) {
  const lines = [
    '| read-model documents | first start (all events unprojected): /healthz | first start: caught up | first start: slowest /healthz | restart: /healthz | restart: ready | restart: slowest /healthz | RSS when ready (restart) | peak RSS | files |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const mib = (b) => `${Math.round(b / 1048576)} MiB`;
    lines.push(
      `| ${r.documents.toLocaleString('en')} | ${fmtMs(r.first.healthzMs)} | ${fmtMs(r.first.readyzMs)} | ${fmtLatency(r.first.slowestHealthzMs)} | ${fmtMs(r.restart.healthzMs)} | ${fmtMs(r.restart.readyzMs)} | ${fmtLatency(r.restart.slowestHealthzMs)} | ${fmtMiB(r.restart.rssMiB)} | ${fmtMiB(Math.max(r.first.peakMiB ?? 0, r.restart.peakMiB ?? 0))} | ${Object.entries(
        r.files,
      )
        .map(([f, b]) => `${f} ${mib(b)}`)
        .join(', ')} |`,
    );
  }
  return lines.join('\n');
}

module.exports = { run, report };

if (require.main === module) {
  snapshotDist();
  const f = flags();
  const sizes = String(f.sizes ?? (f.quick ? '0,100000' : '0,100000,1000000'))
    .split(',')
    .map(Number);
  const os = require('node:os');
  console.log(
    `growth bench: node ${process.version}, ${os.cpus().length} CPUs, load ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  run(sizes, f.keep)
    .then((rows) =>
      console.log(
        `\n${report(rows)}\nload afterwards ${os
          .loadavg()
          .map((x) => x.toFixed(2))
          .join(' ')}`,
      ),
    )
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}
