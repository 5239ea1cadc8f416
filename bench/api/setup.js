'use strict';
/**
 * Shared by reads.js and fanout.js: forking a server child (Chronicle or a baseline) that speaks the
 * same IPC protocol as roundtrip/*-server.js ({ready, url, pid} out, {cmd: 'stop'} in), JSON over
 * HTTP through lib/loadgen's `once`, and seeding Chronicle over its REST API (admin, workspaces,
 * member users).
 */
const { fork } = require('node:child_process');
const path = require('node:path');
const { tmpDir, rmrf, rssSampler, nextMessage, sleep } = require('../lib/common.js');
const { once } = require('../lib/loadgen.js');

const PASSWORD = 'Correct-Horse-42';

/**
 * Forks bench/api/<script> with argv [dataDir, ...args]. `execArgv` adds node flags (e.g. --cpu-prof).
 * The returned handle samples the child's RSS over its whole life (VmHWM) and on demand (window()).
 */
async function startChild(script, { args = [], env = {}, execArgv = [], label = script } = {}) {
  const dir = tmpDir(label.replace(/[^a-z0-9]+/gi, '-'));
  const child = fork(path.join(__dirname, script), [dir, ...args], {
    env: { ...process.env, ...env },
    execArgv: [...process.execArgv, ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const life = rssSampler(child.pid, 100);
  let ready;
  try {
    ready = await nextMessage(child, (m) => m.ready, 180_000);
  } catch (err) {
    child.kill('SIGKILL');
    rmrf(dir);
    throw err;
  }
  let stopped = false;
  return {
    child,
    dir,
    url: ready.url,
    pid: child.pid,
    ready,
    /** Sends {cmd, ...extra} and answers the first reply holding `key`. */
    ask(cmd, key, extra = {}, timeoutMs = 120_000) {
      const answer = nextMessage(child, (m) => m && key in m, timeoutMs);
      child.send({ cmd, ...extra });
      return answer;
    },
    async stop() {
      if (stopped) return null;
      stopped = true;
      const hwm = life.stop();
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ cmd: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
      rmrf(dir);
      return hwm;
    },
    kill() {
      if (stopped) return;
      stopped = true;
      life.stop();
      child.kill('SIGKILL');
      rmrf(dir);
    },
  };
}

/** JSON request over a fresh connection; answers {status, body (parsed when JSON), ms}. */
async function json(baseUrl, method, p, body, headers = {}) {
  const res = await once(undefined, new URL(baseUrl), {
    method,
    path: p,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body),
  });
  let parsed = res.body;
  try {
    parsed = res.body ? JSON.parse(res.body) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, text: res.body, ms: res.ms };
}

const bearer = (token) => ({ Authorization: `Bearer ${token}` });

async function expectStatus(promise, status, what) {
  const r = await promise;
  if (r.status !== status)
    throw new Error(
      `${what}: ${r.status} ${typeof r.body === 'string' ? r.body.slice(0, 300) : JSON.stringify(r.body)}`,
    );
  return r.body;
}

/** Registers (retrying a set-up-only 409 from a contended sequence) and answers the user. */
async function register(url, username) {
  for (let attempt = 0; ; attempt++) {
    const r = await json(url, 'POST', '/api/users/', {
      username,
      email: `${username}@example.com`,
      password: PASSWORD,
      password_confirm: PASSWORD,
    });
    if (r.status === 201) return r.body;
    if (r.status === 409 && attempt < 8) {
      await sleep(20 + Math.random() * 50);
      continue;
    }
    throw new Error(`register ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  }
}

async function login(url, username) {
  const body = await expectStatus(
    json(url, 'POST', '/api/auth/login/', { username, password: PASSWORD }),
    200,
    `login ${username}`,
  );
  return body.access;
}

/** Runs `fn` over `items` with at most `concurrency` in flight; answers results in order. */
async function pool(items, concurrency, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

/** The first user (becomes admin) and its access token. */
async function seedAdmin(url) {
  const admin = await register(url, 'admin');
  if (admin.role !== 'admin') throw new Error(`first user is ${admin.role}, expected admin`);
  return { admin, token: await login(url, 'admin') };
}

/** `count` workspaces named "Workspace 01".. created by the admin, one at a time (ids in order). */
async function seedWorkspaces(url, token, count) {
  const out = [];
  for (let i = 1; i <= count; i++) {
    out.push(
      await expectStatus(
        json(url, 'POST', '/api/workspaces/', { name: `Workspace ${String(i).padStart(2, '0')}` }, bearer(token)),
        201,
        `create workspace ${i}`,
      ),
    );
  }
  return out;
}

/**
 * `count` default users, registered `concurrency` at a time (argon2id: tens of ms each), each added
 * to the workspace `slug`, then logged in. Answers [{id, username, token}].
 */
async function seedMembers(url, adminToken, slug, count, { concurrency = 4, onProgress } = {}) {
  const names = Array.from({ length: count }, (_, i) => `member${String(i + 1).padStart(4, '0')}`);
  let done = 0;
  const users = await pool(names, concurrency, async (username) => {
    const user = await register(url, username);
    const token = await login(url, username);
    if (++done % 100 === 0) onProgress?.(done);
    return { id: user.id, username, token };
  });
  // Membership commands all touch one stream: one at a time.
  for (const u of users) {
    await expectStatus(
      json(url, 'POST', `/api/workspaces/${slug}/add_user/`, { user_id: u.id }, bearer(adminToken)),
      200,
      `add_user ${u.username}`,
    );
  }
  return users;
}

module.exports = {
  PASSWORD,
  startChild,
  json,
  bearer,
  expectStatus,
  register,
  login,
  pool,
  seedAdmin,
  seedWorkspaces,
  seedMembers,
};

/**
 * lib/loadgen's runLoad against one server child, plus the server's CPU (cores used over the
 * measured window, from /proc) and its peak RSS sampled every 100 ms over the window. With
 * `profileFile`, the server's CPU is profiled over the window (chronicle-server.js only).
 */
async function loadWithServerStats(server, { clients, warmupMs, durationMs, request, ok, profileFile = null }) {
  const { runLoad } = require('../lib/loadgen.js');
  const { procCpuSeconds } = require('../lib/common.js');
  let cpuAtOpen = null;
  let cpuAtClose = null;
  let rss = null;
  let profiling = null;
  const result = await runLoad({
    baseUrl: server.url,
    clients,
    warmupMs,
    durationMs,
    request,
    ok,
    onPhase(phase) {
      if (phase === 'measure') {
        cpuAtOpen = procCpuSeconds(server.pid);
        rss = rssSampler(server.pid, 100);
        if (profileFile) profiling = server.ask('profile-start', 'profiling');
      } else {
        cpuAtClose = procCpuSeconds(server.pid);
      }
    },
  });
  if (profileFile) {
    await profiling;
    await server.ask('profile-stop', 'profiled', { file: profileFile });
  }
  const mem = rss ? rss.stop() : null;
  result.serverCpuCores =
    cpuAtOpen !== null && cpuAtClose !== null ? (cpuAtClose - cpuAtOpen) / (durationMs / 1000) : null;
  result.serverCpuMsPerRequest =
    result.serverCpuCores !== null && result.reqPerSec ? (result.serverCpuCores * 1000) / result.reqPerSec : null;
  result.peakRssMiB = mem ? mem.peakSampledMiB : null;
  return result;
}

module.exports.loadWithServerStats = loadWithServerStats;

/** Load, PSI, commit and what of src/ is uncommitted: the conditions a standalone run was measured under. */
function environment() {
  const { execSync } = require('node:child_process');
  const fs = require('node:fs');
  const os = require('node:os');
  const { ROOT, distDir } = require('../lib/common.js');
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
    // no PSI
  }
  const dirty = git('status --porcelain -- src');
  const app = path.join(distDir(), 'app.js');
  return {
    node: process.version,
    cpus: os.cpus().length,
    loadavg: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
    cpuPressure: pressure,
    commit: git('rev-parse --short HEAD'),
    srcDirty: dirty ? dirty.split('\n').filter(Boolean) : [],
    dist: distDir(),
    distBuiltAt: fs.existsSync(app) ? fs.statSync(app).mtime.toISOString() : null,
  };
}

module.exports.environment = environment;
