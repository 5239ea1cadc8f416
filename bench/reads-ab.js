'use strict';
/**
 * REST list CPU per request, two builds and bare Express side by side, measured in many short
 * interleaved batches: on a machine whose load moves CPU time per request by ±30 % from minute to minute,
 * this keeps A and B under the same conditions (the contention that inflates one batch inflates its
 * neighbours), so differences of a few per cent show. The client (keep-alive, CONC concurrent requests)
 * runs in this process; each server (either build, bare Express) in its own
 * child, its CPU per batch read from /proc, only that batch's server being driven.
 *
 *   node bench/reads-ab.js A_DIST_DIR B_DIST_DIR [C_DIST_DIR...] [--rounds=20] [--batch=400] [--clients=10]
 *
 * DIST_DIRs: dist/ folders (package.json one level up; e.g. a copy of a parent commit's build). Each build gets an admin and 20
 * workspaces, and answers GET /api/workspaces/ with the admin's token; bare Express answers A's exact body.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { fork } = require('node:child_process');

if (process.argv[2] === '--server') {
  // Child: one build (argv[3]), seeded; or bare Express (argv[3] === 'express') answering argv[4]'s body.
  (async () => {
    if (process.argv[3] === 'express') {
      const express = require('express');
      const items = JSON.parse(fs.readFileSync(process.argv[4], 'utf8'));
      const app = express();
      app.get('/api/workspaces/', (_req, res) => res.json(items));
      const s = await new Promise((resolve) => {
        const x = app.listen(0, '127.0.0.1', () => resolve(x));
      });
      process.send({ url: `http://127.0.0.1:${s.address().port}`, pid: process.pid });
    } else {
      const b = await startBuild(process.argv[3]);
      process.send({ url: b.url, token: b.token, body: b.body, pid: process.pid });
    }
    process.on('disconnect', () => process.exit(0));
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
  return;
}

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => a.replace(/^--/, '').split('=')),
);
const ROUNDS = Number(args.rounds ?? 20),
  BATCH = Number(args.batch ?? 400),
  CONC = Number(args.clients ?? 10);
/** Builds by letter: A (the reference), B, C... */
const dirs = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => !a.startsWith('--'))
    .map((d, i) => [String.fromCharCode(65 + i), path.resolve(d)]),
);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** n GET /api/workspaces/ at CONC concurrency; answers the count of non-200s. */
function batch(s, n) {
  return new Promise((resolve) => {
    let sent = 0,
      done = 0,
      bad = 0;
    const one = () => {
      if (sent >= n) return;
      sent++;
      http
        .get(`${s.url}/api/workspaces/`, { agent, headers: { authorization: `Bearer ${s.token}` } }, (res) => {
          if (res.statusCode !== 200) bad++;
          res.resume().on('end', () => {
            if (++done === n) resolve(bad);
            else one();
          });
        })
        .on('error', () => {
          // A kept-alive socket the server closed while idle between batches: send that request again.
          sent--;
          one();
        });
    };
    for (let i = 0; i < CONC; i++) one();
  });
}

/** utime + stime of a process, µs (from /proc: 10 ms ticks, hence batches of hundreds of ms). */
function procCpuMicros(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}

const child = (...argv) =>
  new Promise((resolve, reject) => {
    const c = fork(__filename, ['--server', ...argv]);
    c.once('message', (m) => resolve({ ...m, proc: c }));
    c.once('exit', (code) => reject(new Error(`child ${argv[0]} exited ${code}`)));
  });

async function startBuild(dist) {
  const { startChronicle } = require(path.join(dist, 'app.js'));
  const { loadConfig } = require(path.join(dist, 'config.js'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reads-ab-'));
  const c = await startChronicle(
    loadConfig({
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_SECRET: 'reads-ab-secret-reads-ab-secret-0123',
      LOG_LEVEL: 'silent',
      RATE_LIMIT_AUTH_PER_MIN: '1000000',
      RATE_LIMIT_API_PER_MIN: '100000000',
    }),
    require('pino')({ level: 'silent' }),
  );
  const call = async (method, p, body, token) => {
    const res = await fetch(c.url + p, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body && JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  };
  await call('POST', '/api/users/', {
    username: 'admin',
    email: 'admin@example.com',
    password: 'Correct-Horse-42',
    password_confirm: 'Correct-Horse-42',
  });
  const token = JSON.parse(
    (await call('POST', '/api/auth/login/', { username: 'admin', password: 'Correct-Horse-42' })).text,
  ).access;
  for (let i = 0; i < 20; i++) await call('POST', '/api/workspaces/', { name: `Workspace ${i}` }, token);
  const list = await call('GET', '/api/workspaces/', undefined, token);
  if (list.status !== 200 || JSON.parse(list.text).length !== 20) throw new Error(`${dist}: list ${list.status}`);
  return {
    url: c.url,
    token,
    body: list.text,
    close: async () => {
      await c.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function main() {
  const builds = {};
  for (const [k, d] of Object.entries(dirs)) builds[k] = await child(d);
  const bodyFile = path.join(os.tmpdir(), `reads-ab-${process.pid}.json`);
  fs.writeFileSync(bodyFile, builds.A.body);
  const bare = await child('express', bodyFile);
  const servers = { ...builds, express: { ...bare, token: builds.A.token } };
  const cpu = Object.fromEntries(Object.keys(servers).map((k) => [k, []]));
  for (const name of Object.keys(servers)) await batch(servers[name], BATCH); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    const order = Object.keys(servers);
    // Rotate the order from round to round, so no build always follows another.
    for (let i = 0; i < r % order.length; i++) order.push(order.shift());
    for (const name of order) {
      const before = procCpuMicros(servers[name].pid);
      const bad = await batch(servers[name], BATCH);
      const used = procCpuMicros(servers[name].pid) - before;
      if (bad) throw new Error(`${name}: ${bad} non-200`);
      cpu[name].push(used / BATCH);
    }
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  console.log(
    `load ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; ${ROUNDS} rounds x ${BATCH} requests, ${CONC} clients`,
  );
  for (const [k, d] of Object.entries(dirs)) console.log(`  ${k} = ${path.relative(process.cwd(), d)}`);
  for (const k of Object.keys(servers))
    console.log(
      `  ${k.padEnd(8)} server CPU/req median ${median(cpu[k]).toFixed(0)} µs  (rounds: ${cpu[k].map((x) => x.toFixed(0)).join(' ')})`,
    );
  for (const k of Object.keys(builds)) {
    const toBare = median(cpu[k].map((c, i) => c / cpu.express[i]));
    const toA = median(cpu[k].map((c, i) => c / cpu.A[i]));
    console.log(
      `  ${k}: CPU vs bare Express (median of per-round ratios) ${toBare.toFixed(2)}x => est. req/s ratio when CPU-bound ${(1 / toBare).toFixed(3)}x; vs A ${toA.toFixed(3)}`,
    );
  }
  for (const srv of [...Object.values(builds), bare]) srv.proc.kill();
  fs.rmSync(bodyFile, { force: true });
  process.exit(0);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
