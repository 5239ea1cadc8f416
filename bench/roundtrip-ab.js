'use strict';
/**
 * Round-trip (PATCH /api/users/{id}/) server CPU per request, two or more builds and the bench's bare
 * Express + one INSERT baseline side by side, in many short interleaved batches (as reads-ab.js does for the
 * list read): the contention that inflates one batch inflates its neighbours, so differences of a few per
 * cent show on a shared machine. The client runs in this process; each server in its own child, its CPU per
 * batch from its own process.cpuUsage() over IPC, only that batch's server being driven.
 *
 *   node bench/roundtrip-ab.js A_DIST_DIR B_DIST_DIR [C_DIST_DIR...] [--rounds=20] [--batch=500] [--clients=10] [--profile=DIR]
 *
 * `--profile=DIR`: each server's measured rounds under the CPU profiler (DIR/A.cpuprofile, ..., DIR/baseline.cpuprofile; summarise with
 * lib/cpuprofile.js). The profiler costs CPU itself: compare CPU/req of runs without it.
 *
 * DIST_DIRs: dist/ folders (package.json one level up, node_modules resolvable: e.g. bench/.dist-ab-x/dist, a
 * copy of a commit's build). Each build gets an admin and 20 users; request k of client slot c sets
 * `daily_message_limit` of user c + CLIENTS * (k mod 2) to a strictly increasing value (no two clients share
 * a user, every request appends an event), and each answer must say the value sent.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { fork } = require('node:child_process');

const PASSWORD = 'Correct-Horse-42';

if (process.argv[2] === '--server') {
  // Child: one build (argv[3]), seeded; or the baseline (argv[3] === 'baseline').
  (async () => {
    require('./lib/profiler.js').install();
    // CPU time (user + system, µs) of this process on request: finer than /proc's 10 ms ticks.
    process.on('message', (m) => {
      if (m.cmd === 'cpu') {
        const u = process.cpuUsage();
        process.send({ cpu: u.user + u.system });
      }
    });
    if (process.argv[3] === 'baseline') {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-ab-base-'));
      const { app, db } = require('./roundtrip/baseline-app.js').baselineApp(dir);
      const s = await new Promise((resolve) => {
        const x = app.listen(0, '127.0.0.1', () => resolve(x));
      });
      process.send({
        url: `http://127.0.0.1:${s.address().port}`,
        pid: process.pid,
        userIds: Array.from({ length: 20 }, (_, i) => i + 2),
      });
      process.on('disconnect', () => {
        db.close();
        fs.rmSync(dir, { recursive: true, force: true });
        process.exit(0);
      });
    } else {
      const b = await startBuild(process.argv[3]);
      process.send({ url: b.url, token: b.token, userIds: b.userIds, pid: process.pid });
      process.on('disconnect', () => b.close().finally(() => process.exit(0)));
    }
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
  BATCH = Number(args.batch ?? 500),
  CONC = Number(args.clients ?? 10);
/** Builds by letter: A (the reference), B, C... */
const dirs = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => !a.startsWith('--'))
    .map((d, i) => [String.fromCharCode(65 + i), path.resolve(d)]),
);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** n PATCHes at CONC concurrency (one closed loop per client slot); answers the count of wrong answers. */
function batch(s, n) {
  s.sent ??= 0;
  return new Promise((resolve) => {
    let started = 0,
      done = 0,
      bad = 0;
    const loop = (slot, k) => {
      if (started >= n) return;
      started++;
      const userId = s.userIds[(slot + CONC * (k % 2)) % s.userIds.length];
      const value = ++s.sent;
      const body = JSON.stringify({ daily_message_limit: value });
      const req = http.request(
        `${s.url}/api/users/${userId}/`,
        {
          method: 'PATCH',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...(s.token ? { authorization: `Bearer ${s.token}` } : {}),
          },
        },
        (res) => {
          let text = '';
          res
            .setEncoding('utf8')
            .on('data', (c) => (text += c))
            .on('end', () => {
              if (res.statusCode !== 200 || JSON.parse(text).daily_message_limit !== value) bad++;
              if (++done === n) resolve(bad);
              else loop(slot, k + 1);
            });
        },
      );
      req.on('error', () => {
        bad++;
        if (++done === n) resolve(bad);
        else loop(slot, k + 1);
      });
      req.end(body);
    };
    for (let i = 0; i < CONC; i++) loop(i, 0);
  });
}

const child = (...argv) =>
  new Promise((resolve, reject) => {
    const c = fork(__filename, ['--server', ...argv]);
    c.once('message', (m) => resolve({ ...m, proc: c }));
    c.once('exit', (code) => reject(new Error(`child ${argv[0]} exited ${code}`)));
  });

async function startBuild(dist) {
  // Set-up aid only: cheap argon2id parameters, so seeding 20 users takes no seconds.
  const argon2 = require('argon2');
  const hash = argon2.hash;
  argon2.hash = (password, options = {}) => hash(password, { ...options, memoryCost: 1024, timeCost: 1 });
  const { startChronicle } = require(path.join(dist, 'app.js'));
  const { loadConfig } = require(path.join(dist, 'config.js'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rt-ab-'));
  const c = await startChronicle(
    loadConfig({
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_SECRET: 'rt-ab-secret-rt-ab-secret-0123456789',
      LOG_LEVEL: 'silent',
      RATE_LIMIT_AUTH_PER_MIN: '1000000',
      RATE_LIMIT_API_PER_MIN: '1000000000',
      RATE_LIMIT_UPLOAD_PER_MIN: '1000000',
    }),
    require('pino')({ level: 'silent' }),
  );
  const call = async (method, p, body, token) => {
    const res = await fetch(c.url + p, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body && JSON.stringify(body),
    });
    return { status: res.status, json: await res.json().catch(() => null) };
  };
  const register = (username) =>
    call('POST', '/api/users/', {
      username,
      email: `${username}@example.com`,
      password: PASSWORD,
      password_confirm: PASSWORD,
    });
  await register('admin');
  const token = (await call('POST', '/api/auth/login/', { username: 'admin', password: PASSWORD })).json.access;
  const userIds = [];
  for (let i = 0; i < 20; i++) userIds.push((await register(`user${i}`)).json.id);
  return {
    url: c.url,
    token,
    userIds,
    close: async () => {
      await c.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function main() {
  const builds = {};
  for (const [k, d] of Object.entries(dirs)) builds[k] = await child(d);
  const servers = { ...builds, baseline: await child('baseline') };
  const cpu = Object.fromEntries(Object.keys(servers).map((k) => [k, []]));
  for (let w = 0; w < 4; w++) for (const name of Object.keys(servers)) await batch(servers[name], BATCH); // warm-up (JIT, caches)
  const ask = (srv, msg, key) =>
    new Promise((resolve) => {
      const on = (m) => {
        if (m[key]) {
          srv.proc.off('message', on);
          resolve(m);
        }
      };
      srv.proc.on('message', on);
      srv.proc.send(msg);
    });
  if (args.profile) {
    fs.mkdirSync(args.profile, { recursive: true });
    for (const k of Object.keys(servers)) await ask(servers[k], { cmd: 'profile-start' }, 'profiling');
  }
  for (let r = 0; r < ROUNDS; r++) {
    const order = Object.keys(servers);
    // Rotate the order from round to round, so no build always follows another.
    for (let i = 0; i < r % order.length; i++) order.push(order.shift());
    for (const name of order) {
      const before = (await ask(servers[name], { cmd: 'cpu' }, 'cpu')).cpu;
      const bad = await batch(servers[name], BATCH);
      const used = (await ask(servers[name], { cmd: 'cpu' }, 'cpu')).cpu - before;
      if (bad) throw new Error(`${name}: ${bad} wrong answers`);
      cpu[name].push(used / BATCH);
    }
  }
  if (args.profile) {
    for (const k of Object.keys(servers))
      await ask(servers[k], { cmd: 'profile-stop', file: path.resolve(args.profile, `${k}.cpuprofile`) }, 'profiled');
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  console.log(
    `load ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; ${ROUNDS} rounds x ${BATCH} PATCHes, ${CONC} clients`,
  );
  for (const [k, d] of Object.entries(dirs)) console.log(`  ${k} = ${path.relative(process.cwd(), d)}`);
  for (const k of Object.keys(servers))
    console.log(
      `  ${k.padEnd(8)} server CPU/req median ${median(cpu[k]).toFixed(0)} µs  (rounds: ${cpu[k].map((x) => x.toFixed(0)).join(' ')})`,
    );
  for (const k of Object.keys(builds)) {
    const toBase = median(cpu[k].map((c, i) => c / cpu.baseline[i]));
    const vsA = cpu[k].map((c, i) => c / cpu.A[i]).sort((a, b) => a - b);
    const q = (f) => vsA[Math.floor(f * (vsA.length - 1))];
    console.log(
      `  ${k}: CPU vs baseline (median of per-round ratios) ${toBase.toFixed(2)}x => est. req/s ratio when CPU-bound ${(1 / toBase).toFixed(3)}x; vs A ${median(vsA).toFixed(3)} (quartiles ${q(0.25).toFixed(3)}-${q(0.75).toFixed(3)})`,
    );
  }
  for (const srv of Object.values(servers)) srv.proc.disconnect();
  setTimeout(() => process.exit(0), 3000).unref();
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
