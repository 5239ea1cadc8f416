'use strict';
/**
 * (a) Command round trip + (c) server RSS.
 *
 * Chronicle (dist/, child process) with an admin and USERS default users; CLIENTS keep-alive clients
 * each own a disjoint slice of the users and PATCH /api/users/{id}/ {daily_message_limit: n} with a
 * value that differs from the user's current one, for WARMUP + DURATION. Every non-2xx counts as an
 * error (409 included). Baseline in the same run: bare Express 5 + one better-sqlite3 INSERT per
 * request, same request shape, same client, same concurrency.
 *
 *   node bench/roundtrip.js [--quick] [--diagnose] [--json out.json]
 *
 * --diagnose adds two runs: a 1-client run with per-stage timers in the server (see
 * roundtrip/chronicle-server.js), and a 10-client run under --cpu-prof, summarised by package.
 */
const { fork } = require('node:child_process');
const path = require('node:path');
const { tmpDir, rmrf, rssSampler, procCpuSeconds, nextMessage, fmt, table } = require('./lib/common.js');
const { runLoad, once } = require('./lib/loadgen.js');
const { summarizeProfile, formatProfile } = require('./lib/cpuprofile.js');

const PASSWORD = 'Correct-Horse-42';
const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 25;

function settings(quick) {
  return quick
    ? { clients: 10, users: 20, warmupMs: 1000, durationMs: 3000 }
    : { clients: 10, users: 50, warmupMs: 2000, durationMs: 10000 };
}

async function startServer(kind, { trace = false } = {}) {
  const dir = tmpDir(kind);
  const script =
    kind === 'chronicle'
      ? path.join(__dirname, 'lib', 'chronicle-server.js')
      : path.join(__dirname, 'roundtrip', `${kind}-server.js`);
  const child = fork(script, [dir], {
    env: { ...process.env, CHRONICLE_BENCH_TRACE: trace ? '1' : '0' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const hwm = rssSampler(child.pid, 100); // whole life of the process, set-up included
  const ready = await nextMessage(child, (m) => m.ready);
  return {
    child,
    dir,
    url: ready.url,
    pid: child.pid,
    hwm,
    async ask(cmd, key, extra = {}) {
      const answer = nextMessage(child, (m) => key in m);
      child.send({ cmd, ...extra });
      return answer;
    },
    async stop() {
      const life = hwm.stop();
      const done = new Promise((r) => child.once('exit', r));
      child.send({ cmd: 'stop' });
      await done;
      rmrf(dir);
      return life;
    },
  };
}

async function json(url, method, p, body, headers = {}) {
  const res = await once(undefined, new URL(url), {
    method,
    path: p,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  });
  let parsed;
  try {
    parsed = res.body ? JSON.parse(res.body) : null;
  } catch {
    parsed = res.body;
  }
  return { status: res.status, body: parsed };
}

/** Admin first (the first user becomes admin), then default users, two at a time (argon2 is costly). */
async function seed(url, users) {
  const register = async (username) => {
    for (let attempt = 0; ; attempt++) {
      const r = await json(url, 'POST', '/api/users/', {
        username,
        email: `${username}@example.com`,
        password: PASSWORD,
        password_confirm: PASSWORD,
      });
      if (r.status === 201) return r.body;
      if (r.status === 409 && attempt < 5) continue; // set-up only: a sequence conflict under concurrency
      throw new Error(`register ${username}: ${r.status} ${JSON.stringify(r.body)}`);
    }
  };
  const admin = await register('admin');
  if (admin.role !== 'admin') throw new Error(`first user is ${admin.role}, expected admin`);
  const ids = [];
  const names = Array.from({ length: users }, (_, i) => `user${String(i + 1).padStart(3, '0')}`);
  for (let i = 0; i < names.length; i += 2) {
    const batch = await Promise.all(names.slice(i, i + 2).map(register));
    for (const u of batch) ids.push(u.id);
  }
  const login = await json(url, 'POST', '/api/auth/login/', { username: 'admin', password: PASSWORD });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
  return { adminId: admin.id, ids, token: login.body.access };
}

/** Client c owns users c, c+clients, ...; each request sets the next value for one of them, so it always changes something. */
function requestPlan(ids, clients, token) {
  const owned = Array.from({ length: clients }, (_, c) => ids.filter((_, i) => i % clients === c));
  const sent = new Map(); // user id -> last value sent
  const headers = {
    'Content-Type': 'application/json',
    Authorization: `Bearer ${token}`,
    'User-Agent': 'chronicle-bench/1',
  };
  return {
    sent,
    request(client, seq) {
      const mine = owned[client];
      const id = mine[seq % mine.length];
      const value = Math.floor(seq / mine.length) + 1 + client; // strictly increasing per user
      sent.set(id, value);
      return {
        method: 'PATCH',
        path: `/api/users/${id}/`,
        headers,
        body: JSON.stringify({ daily_message_limit: value }),
      };
    },
  };
}

async function loadAgainst(server, plan, s, { clients = s.clients, profileFile = null } = {}) {
  let cpuAtOpen = null;
  let cpuAtClose = null;
  let loadRss = null;
  const result = await runLoad({
    baseUrl: server.url,
    clients,
    warmupMs: s.warmupMs,
    durationMs: s.durationMs,
    request: plan.request,
    onPhase(phase) {
      if (phase === 'measure') {
        cpuAtOpen = procCpuSeconds(server.pid);
        loadRss = rssSampler(server.pid, 100);
        if (profileFile) server.child.send({ cmd: 'profile-start' });
      } else {
        cpuAtClose = procCpuSeconds(server.pid);
      }
    },
  });
  if (profileFile) await server.ask('profile-stop', 'profiled', { file: profileFile });
  const rss = loadRss ? loadRss.stop() : null;
  result.serverCpuCores =
    cpuAtOpen !== null && cpuAtClose !== null ? (cpuAtClose - cpuAtOpen) / (s.durationMs / 1000) : null;
  result.serverCpuMsPerRequest =
    result.serverCpuCores !== null ? (result.serverCpuCores * 1000) / result.reqPerSec : null;
  result.peakRssDuringLoadMiB = rss ? rss.peakSampledMiB : null;
  return result;
}

/** What the clients last sent must be what the API now answers. */
async function verifyFinalState(url, token, plan) {
  let checked = 0;
  const wrong = [];
  for (const [id, value] of plan.sent) {
    const r = await json(url, 'GET', `/api/users/${id}/`, undefined, { Authorization: `Bearer ${token}` });
    checked++;
    if (r.status !== 200 || r.body.daily_message_limit !== value)
      wrong.push({ id, expected: value, got: r.status === 200 ? r.body.daily_message_limit : r.status });
  }
  return { checked, wrong: wrong.length, samples: wrong.slice(0, 3) };
}

async function measureBaseline(s, seedData) {
  const server = await startServer('baseline');
  try {
    const plan = requestPlan(seedData.ids, s.clients, seedData.token);
    const load = await loadAgainst(server, plan, s);
    const life = await server.stop();
    return { ...load, hwmMiB: life.hwmMiB };
  } catch (err) {
    server.child.kill('SIGKILL');
    throw err;
  }
}

async function runRoundtrip(opts = {}) {
  const s = settings(opts.quick);
  const log = opts.log ?? console.log;
  log(
    `[roundtrip] ${s.clients} clients, ${s.users} users, warm-up ${s.warmupMs / 1000} s, window ${s.durationMs / 1000} s`,
  );

  // Chronicle first: its set-up yields the user ids and the token the baseline requests carry too.
  const server = await startServer('chronicle');
  let chronicle;
  let seedData;
  try {
    const t0 = Date.now();
    seedData = await seed(server.url, s.users);
    log(
      `[roundtrip] chronicle seeded (admin + ${s.users} users, argon2) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    const plan = requestPlan(seedData.ids, s.clients, seedData.token);
    const load = await loadAgainst(server, plan, s);
    const verified = await verifyFinalState(server.url, seedData.token, plan);
    const life = await server.stop();
    chronicle = { ...load, hwmMiB: life.hwmMiB, verified };
  } catch (err) {
    server.child.kill('SIGKILL');
    throw err;
  }
  log(
    `[roundtrip] chronicle: ${fmt.int(chronicle.reqPerSec)} req/s, p50 ${fmt.ms(chronicle.latencyMs.p50)}, p99 ${fmt.ms(chronicle.latencyMs.p99)}, errors ${chronicle.errors}`,
  );

  const baseline = await measureBaseline(s, seedData);
  log(
    `[roundtrip] baseline:  ${fmt.int(baseline.reqPerSec)} req/s, p50 ${fmt.ms(baseline.latencyMs.p50)}, p99 ${fmt.ms(baseline.latencyMs.p99)}, errors ${baseline.errors}`,
  );

  const ratio = chronicle.reqPerSec / baseline.reqPerSec;
  const result = {
    settings: s,
    chronicle,
    baseline,
    ratio,
    targets: {
      ratio: { target: `>= ${TARGET_RATIO}`, actual: ratio, met: ratio >= TARGET_RATIO },
      p99: {
        target: `< ${TARGET_P99_MS} ms`,
        actual: chronicle.latencyMs.p99,
        met: chronicle.latencyMs.p99 < TARGET_P99_MS,
      },
      errors: { target: '0', actual: chronicle.errors, met: chronicle.errors === 0 && chronicle.verified.wrong === 0 },
    },
  };

  if (opts.diagnose) result.diagnosis = await diagnose(s, baseline, log);
  return result;
}

/** One Chronicle server through set-up and a measured load; answers the load figures. */
async function chronicleRun(s, { trace = false, clients = s.clients, profileFile = null } = {}) {
  const server = await startServer('chronicle', { trace });
  try {
    const seedData = await seed(server.url, s.users);
    const plan = requestPlan(seedData.ids, s.clients, seedData.token);
    if (trace) await server.ask('reset', 'reset');
    // At 1 client, walk the same per-user sequences one request at a time.
    const request =
      clients === s.clients ? plan.request : (_c, q) => plan.request(q % s.clients, Math.floor(q / s.clients));
    const load = await loadAgainst(server, { request }, s, { clients, profileFile });
    const stages = trace ? (await server.ask('stats', 'stats')).stats.stages : undefined;
    const verified = await verifyFinalState(server.url, seedData.token, plan);
    await server.stop();
    return { ...load, stages, verified };
  } catch (err) {
    server.child.kill('SIGKILL');
    throw err;
  }
}

/**
 * Where a request's time goes: per-stage timers at 1 client (no queueing), a CPU profile of the
 * server over a 10-client window.
 */
async function diagnose(s, baseline, log) {
  const out = {};
  const traced = await chronicleRun(s, { trace: true, clients: 1 });
  out.stages1Client = traced;
  log(
    `[roundtrip:diagnose] traced 1-client run: ${fmt.int(traced.reqPerSec)} req/s, p50 ${fmt.ms(traced.latencyMs.p50)}`,
  );

  const profDir = tmpDir('cpuprof');
  try {
    const file = path.join(profDir, 'window.cpuprofile');
    const profiled = await chronicleRun(s, { profileFile: file });
    out.cpuProfile10Clients = {
      reqPerSec: profiled.reqPerSec,
      profile: summarizeProfile(file, {
        inclusive: [
          'verify',
          'authenticate',
          'flushNow',
          'appendInTx',
          'readStream',
          'handleBatch',
          'loggingMiddleware',
          'helmetMiddleware',
          'jsonParser',
          'send',
        ],
      }),
    };
    log(`[roundtrip:diagnose] profiled 10-client window: ${fmt.int(profiled.reqPerSec)} req/s under the profiler`);
  } finally {
    rmrf(profDir);
  }

  return out;
}

function report(r) {
  const c = r.chronicle;
  const b = r.baseline;
  const lines = [];
  lines.push(
    `(a) Command round trip — PATCH /api/users/{id}/, ${r.settings.clients} clients, ${r.settings.durationMs / 1000} s window after ${r.settings.warmupMs / 1000} s warm-up`,
  );
  lines.push(
    table([
      ['', 'req/s', 'p50', 'p90', 'p99', 'max', 'errors', 'server CPU', 'CPU/req', 'client CPU'],
      [
        'chronicle',
        fmt.int(c.reqPerSec),
        fmt.ms(c.latencyMs.p50),
        fmt.ms(c.latencyMs.p90),
        fmt.ms(c.latencyMs.p99),
        fmt.ms(c.latencyMs.max),
        `${c.errors} ${JSON.stringify(c.statuses)}`,
        `${c.serverCpuCores?.toFixed(2)} cores`,
        fmt.ms(c.serverCpuMsPerRequest),
        `${c.clientCpuSeconds.toFixed(1)} s`,
      ],
      [
        'baseline',
        fmt.int(b.reqPerSec),
        fmt.ms(b.latencyMs.p50),
        fmt.ms(b.latencyMs.p90),
        fmt.ms(b.latencyMs.p99),
        fmt.ms(b.latencyMs.max),
        `${b.errors} ${JSON.stringify(b.statuses)}`,
        `${b.serverCpuCores?.toFixed(2)} cores`,
        fmt.ms(b.serverCpuMsPerRequest),
        `${b.clientCpuSeconds.toFixed(1)} s`,
      ],
      [
        'ratio',
        fmt.ratio(r.ratio),
        fmt.ratio(c.latencyMs.p50 / b.latencyMs.p50),
        '',
        fmt.ratio(c.latencyMs.p99 / b.latencyMs.p99),
        '',
        '',
        '',
        fmt.ratio(c.serverCpuMsPerRequest / b.serverCpuMsPerRequest),
        '',
      ],
    ]),
  );
  lines.push(`    final state check: ${c.verified.checked} users read back, ${c.verified.wrong} wrong`);
  lines.push(
    `(c) server RSS: chronicle peak during load ${fmt.mib(c.peakRssDuringLoadMiB)}, VmHWM over life (argon2 set-up included) ${fmt.mib(c.hwmMiB)}; baseline peak ${fmt.mib(b.peakRssDuringLoadMiB)}, VmHWM ${fmt.mib(b.hwmMiB)}  (ratio during load ${fmt.ratio(c.peakRssDuringLoadMiB / b.peakRssDuringLoadMiB)})`,
  );
  for (const [k, t] of Object.entries(r.targets)) {
    lines.push(
      `    target ${k.padEnd(6)} ${t.target.padEnd(9)} actual ${typeof t.actual === 'number' && !Number.isInteger(t.actual) ? t.actual.toFixed(3) : t.actual}  ${t.met ? 'MET' : 'MISSED'}`,
    );
  }
  if (r.diagnosis) {
    const d = r.diagnosis.stages1Client;
    lines.push('');
    lines.push(
      `  diagnose: per-stage wall time, 1 client (${fmt.int(d.reqPerSec)} req/s, p50 ${fmt.ms(d.latencyMs.p50)}, server CPU ${fmt.ms(d.serverCpuMsPerRequest)}/req; the timers add overhead)`,
    );
    const rows = [['stage', 'count', 'mean', 'max']];
    for (const [k, v] of Object.entries(d.stages).sort((a, b2) => b2[1].totalMs - a[1].totalMs)) {
      rows.push([k, v.count, fmt.ms(v.meanMs), fmt.ms(v.maxMs)]);
    }
    lines.push(table(rows).replace(/^/gm, '    '));
    const p = r.diagnosis.cpuProfile10Clients;
    lines.push(
      `  diagnose: CPU profile of the server over a 10-client window (${fmt.int(p.reqPerSec)} req/s under the profiler)`,
    );
    lines.push(formatProfile(p.profile).replace(/^/gm, '    '));
  }
  return lines.join('\n');
}

module.exports = { runRoundtrip, report, chronicleRun, settings };

if (require.main === module) require('./lib/common.js').runAsMain(runRoundtrip, report);
