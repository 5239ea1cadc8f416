'use strict';
/**
 * Child process shared by every HTTP bench (roundtrip, reads, fanout, chat, agent): Chronicle from the dist
 * snapshot (startChronicle) on an ephemeral port with embedded adapters (SQLite event store, SQLite
 * read store, in-process pub/sub), all roles. argv[2] = DATA_DIR (temporary, removed by the parent).
 *
 * Config: PORT 0, HOST 127.0.0.1, JWT_SECRET 'x'×32, LOG_LEVEL silent, RATE_LIMIT_AUTH_PER_MIN 1e6
 * (set-ups register and log in hundreds of users from one address).
 *
 * Env:
 *   CHRONICLE_BENCH_TRACE=1          stage timers (see installTrace), read with {cmd: 'stats'}
 *   CHRONICLE_BENCH_CHEAP_ARGON2=1   set-up aid for the fan-out: argon2id at 1 MiB / 1 pass, so seeding
 *                                    a thousand members takes seconds; hashing is on no measured path
 *   CHRONICLE_BENCH_LLM_UPSTREAM=url LLM_PROVIDER=openai at that OpenAI-compatible endpoint (chat, agent)
 *
 * IPC in:  {cmd: 'stats'} | {cmd: 'reset'} | {cmd: 'profile-start'} | {cmd: 'profile-stop', file}
 *          | {cmd: 'stream', name} | {cmd: 'micro-reads', token, userId} | {cmd: 'stop'}
 * IPC out: {ready, url, pid} | {stats} | {reset} | {profiling} | {profiled} | {events} | {micro} | {stopped}
 */
const { dist, childMain } = require('./common.js');
const { profiler } = require('./profiler.js');

/** The main thread's [ns on a CPU, ns runnable but waiting], from /proc (Linux); null elsewhere. */
const { readFileSync } = require('node:fs');
function schedstat() {
  try {
    return readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
  } catch {
    return null;
  }
}

function tracer() {
  const stages = new Map();
  let t0 = null; // arrival of the current chat (the chat bench sends one at a time)
  let path = '';
  let cpu0 = null;
  let sched0 = null;
  let us0 = 0;
  let arrivals = []; // per chat: path, arrival and first token written (µs, monotonic: comparable with the client's)
  let transportWindows = []; // each SSE chat's arrival → startChat called (HTTP, express, auth)
  let askWindows = []; // prompt assembled → upstream fetch called
  let askedAt = 0;
  let windows = []; // each chat's arrival → first token, µs on the monotonic clock (for the CPU profile)
  return {
    /** Starts a chat's timeline; mark() then records the time since, under "timeline <path>: <name>". */
    begin(label) {
      t0 = performance.now();
      us0 = Number(process.hrtime.bigint() / 1000n);
      cpu0 = process.cpuUsage();
      sched0 = schedstat();
      path = label;
    },
    mark(name) {
      if (t0 === null) return;
      this.record(`timeline ${path}: ${name}`, performance.now() - t0);
      if (name.startsWith('00 ') && path === 'sse')
        transportWindows.push([us0, Number(process.hrtime.bigint() / 1000n)]);
      if (name.startsWith('3 ')) askedAt = Number(process.hrtime.bigint() / 1000n);
      if (name.startsWith('4 ') && askedAt) {
        askWindows.push([askedAt, Number(process.hrtime.bigint() / 1000n)]);
        askedAt = 0;
      }
      // CPU the whole process spent from the chat's arrival to its first token: wall time without the waits for a core.
      if (name.startsWith('7 ')) {
        const usNow = Number(process.hrtime.bigint() / 1000n);
        windows.push([us0, usNow]);
        arrivals.push({ path, arrivedUs: us0, firstTokenUs: usNow });
        const c = process.cpuUsage(cpu0);
        this.record(`timeline ${path}: 8 process CPU to first token (all threads)`, (c.user + c.system) / 1000);
        // The main thread alone (Linux schedstat): time on a CPU, and time runnable but waiting for one.
        const now = schedstat();
        if (now && sched0) {
          this.record(`timeline ${path}: 9a main thread on CPU to first token`, (now[0] - sched0[0]) / 1e6);
          this.record(`timeline ${path}: 9b main thread waiting for a CPU to first token`, (now[1] - sched0[1]) / 1e6);
          this.record(`timeline ${path}: 9c main thread times scheduled in to first token (count)`, now[2] - sched0[2]);
        }
      }
    },
    end() {
      t0 = null;
    },
    get path() {
      return t0 === null ? null : path;
    },
    record(name, ms) {
      let s = stages.get(name);
      if (!s) stages.set(name, (s = { count: 0, totalMs: 0, maxMs: 0, samples: [] }));
      s.count++;
      if (s.samples.length < 10_000) s.samples.push(ms);
      s.totalMs += ms;
      if (ms > s.maxMs) s.maxMs = ms;
    },
    reset: () => {
      stages.clear();
      windows = [];
      arrivals = [];
      transportWindows = [];
      askWindows = [];
    },
    askWindows: () => askWindows,
    transportWindows: () => transportWindows,
    windows: () => windows,
    arrivals: () => arrivals,
    stats: () =>
      Object.fromEntries(
        [...stages].map(([k, { samples, ...v }]) => {
          const sorted = [...samples].sort((a, b) => a - b);
          return [k, { ...v, meanMs: v.totalMs / v.count, p50Ms: sorted[Math.floor(sorted.length / 2)] }];
        }),
      ),
  };
}

/** Wall time of an async method, recorded under `name` (a string, or a function of this and the arguments). */
function timeAsync(trace, obj, key, name) {
  const orig = obj[key];
  obj[key] = function (...args) {
    const t0 = performance.now();
    return Promise.resolve(orig.apply(this, args)).finally(() =>
      trace.record(typeof name === 'function' ? name(this, args) : name, performance.now() - t0),
    );
  };
}

/**
 * Time inside a call until it returns (its synchronous part); the result passes through untouched. The
 * embedded read store does its work before returning a settled promise, so for its queries this is the cost.
 */
function timeSync(trace, obj, key, name) {
  const orig = obj[key];
  obj[key] = function (...args) {
    const t0 = performance.now();
    try {
      return orig.apply(this, args);
    } finally {
      trace.record(name, performance.now() - t0);
    }
  };
}

/** Stage timers wrapped around exported functions and prototypes before the app is wired (src/ untouched). */
function installTrace(trace) {
  const { SqliteEventStore } = dist('infra/eventstore/sqlite.js');
  const { SqliteReadStore } = dist('infra/readstore/sqlite.js');
  const { ProjectionProgress } = dist('projections/shared/progress.js');
  const { CheckpointedSubscriber } = dist('projections/shared/checkpointed-subscriber.js');
  const { MemoryPubSub } = dist('infra/pubsub/memory.js');
  timeAsync(
    trace,
    dist('commands/identity/admin.js'),
    'updateUser',
    'command updateUser (zod + readStream + fold + decide + append)',
  );
  timeAsync(
    trace,
    dist('commands/workspaces/workspaces.js'),
    'updateWorkspace',
    'command updateWorkspace (load + fold + decide + append)',
  );
  timeAsync(
    trace,
    SqliteEventStore.prototype,
    'readStream',
    (_s, [stream]) => `  eventstore.readStream(${stream.split('-')[0]}-*)`,
  );
  timeAsync(
    trace,
    SqliteEventStore.prototype,
    'appendToStream',
    '  eventstore.appendToStream (IMMEDIATE tx, WAL commit)',
  );
  timeSync(trace, SqliteEventStore.prototype, 'readAllSync', 'projection: readAllSync (subscription read)');
  timeAsync(
    trace,
    CheckpointedSubscriber.prototype,
    'handleBatch',
    'projection: handleBatch (apply, checkpoint, flush, publish; spans a fan-out)',
  );
  timeSync(trace, SqliteReadStore.prototype, 'flushNow', '  read store flush (sync)');
  timeAsync(trace, ProjectionProgress.prototype, 'waitFor', 'read-your-writes: progress.waitFor (wall)');
  timeSync(
    trace,
    dist('projections/workspaces/queries.js'),
    'workspaceAfter',
    'sync: workspaceAfter (once per subscriber per event; one read shared)',
  );
  timeSync(trace, MemoryPubSub.prototype, 'publish', 'sync: pubsub.publish');
  timeSync(
    trace,
    dist('commands/identity/tokens.js').TokenService.prototype,
    'verifyAccess',
    '  TokenService.verifyAccess',
  );
  // The chat path up to the model call (bench/chat.js --diagnose).
  timeAsync(
    trace,
    dist('commands/chats/send.js'),
    'startChat',
    'chat: startChat (input, membership, quota, nextId, ChatRequested)',
  );
  timeAsync(trace, dist('commands/workspaces/workspaces.js'), 'loadWorkspace', '  chat: loadWorkspace');
  timeAsync(trace, dist('commands/chats/quota.js'), 'useChatQuota', '  chat: useChatQuota');
  timeAsync(trace, dist('commands/shared/sequence.js'), 'nextId', '  chat: nextId');
  timeAsync(trace, dist('projections/chats/queries.js'), 'lastExchanges', 'chat: lastExchanges (history)');
  timeAsync(trace, dist('commands/system/settings.js'), 'currentSetting', 'chat: currentSetting');
  timeAsync(
    trace,
    dist('ai/prompt/assemble.js'),
    'assemblePrompt',
    'chat: assemblePrompt (retrieval, pinned, token counts)',
  );
  timeAsync(
    trace,
    dist('ai/retrieval/knowledge.js').KnowledgeService.prototype,
    'search',
    '  chat: KnowledgeService.search',
  );
  timeAsync(
    trace,
    dist('ai/retrieval/knowledge.js').KnowledgeService.prototype,
    'pinned',
    '  chat: KnowledgeService.pinned',
  );
  // The agent path (bench/agent.js --trace).
  timeAsync(
    trace,
    dist('commands/agents/invocations.js').AgentInvocations.prototype,
    'invoke',
    'agent: invoke (checks, quota, AgentInvoked)',
  );
  timeAsync(trace, dist('ai/llm/openai.js').OpenAiProvider.prototype, 'turn', 'agent: model turn (wall)');
  timeAsync(trace, dist('commands/agents/server-tools.js'), 'runServerTool', 'agent: runServerTool');
  timeAsync(trace, dist('commands/shared/handle.js'), 'handleCommand', 'handleCommand (fold, decide, append)');
  // The timeline of one chat, from the SSE request's or the WebSocket message's arrival: where its time to first token goes.
  const markAfter = (obj, key, name) => {
    const orig = obj[key];
    obj[key] = function (...args) {
      return Promise.resolve(orig.apply(this, args)).finally(() => trace.mark(name));
    };
  };
  const markBefore = (obj, key, name) => {
    const orig = obj[key];
    obj[key] = function (...args) {
      trace.mark(name);
      return orig.apply(this, args);
    };
  };
  markBefore(dist('commands/chats/send.js'), 'startChat', '00 startChat called (transport done)');
  markAfter(dist('commands/workspaces/workspaces.js'), 'loadWorkspace', '0a membership checked');
  markAfter(dist('commands/chats/quota.js'), 'useChatQuota', '0b quota counted');
  markAfter(dist('commands/chats/send.js'), 'startChat', '1 startChat done');
  markAfter(dist('projections/chats/queries.js'), 'lastExchanges', '2 history read');
  markAfter(dist('ai/prompt/assemble.js'), 'assemblePrompt', '3 prompt assembled');
  const fetch = globalThis.fetch;
  globalThis.fetch = function (...args) {
    trace.mark('4 upstream fetch called');
    return fetch.apply(this, args).finally(() => trace.mark('5 upstream headers in'));
  };
  // WebSocket chats: the timeline starts when a chat message is emitted and ends with chat_complete.
  const { WebSocket } = require('ws');
  const emit = WebSocket.prototype.emit;
  WebSocket.prototype.emit = function (event, data, ...rest) {
    if (event === 'message' && this._isServer && String(data).includes('"type":"chat"')) {
      trace.begin('ws');
      this._benchFirst = true;
    }
    return emit.call(this, event, data, ...rest);
  };
  const wsSend = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data, ...rest) {
    if (trace.path === 'ws' && this._benchFirst && String(data).includes('"chat_token"')) {
      trace.mark('7 first token written');
      this._benchFirst = false;
    }
    const sent = wsSend.call(this, data, ...rest);
    if (trace.path === 'ws' && String(data).includes('"chat_complete"')) trace.end();
    return sent;
  };
  const { OpenAiProvider } = dist('ai/llm/openai.js');
  const stream = OpenAiProvider.prototype.stream;
  OpenAiProvider.prototype.stream = async function* (...args) {
    let first = true;
    for await (const token of stream.apply(this, args)) {
      if (first) {
        trace.mark('6 first token from the provider');
        first = false;
      }
      yield token;
    }
  };
}

/** Set-up aid, not a fix: cheap argon2id parameters (verify reads them from the hash, so logins get cheap too). */
function cheapArgon2() {
  const argon2 = require('argon2');
  const hash = argon2.hash;
  argon2.hash = (password, options = {}) => hash(password, { ...options, memoryCost: 1024, timeCost: 1 });
}

/**
 * The pieces of a list read timed in-process, without HTTP (µs per call, best of 3 runs of `n`):
 * token check, user lookup, the list query and its parts, the mapping and JSON of the answer.
 */
async function microReads(chronicle, { token, userId, n = 2000 }) {
  const { deps } = chronicle;
  const { findUser } = dist('projections/users/queries.js');
  const { listWorkspaces, publicWorkspace } = dist('projections/workspaces/queries.js');
  const { TokenService } = dist('commands/identity/tokens.js');
  const actor = { type: 'user', userId, role: 'admin' };
  const tokens = new TokenService('x'.repeat(32), { accessSeconds: 60, refreshSeconds: 60, passwordResetSeconds: 60 });
  const coll = deps.db.collection('workspaces');
  const list = (await listWorkspaces(deps.db, actor, {}, { skip: 0 })).results;
  const cases = {
    'TokenService.verifyAccess (jwt.verify, KeyObject)': () => tokens.verifyAccess(token),
    'findUser (findOne by _id)': () => findUser(deps.db, userId),
    'listWorkspaces (find + count, 20 docs)': () => listWorkspaces(deps.db, actor, {}, { skip: 0 }),
    '  find({$and:[{},{}]}, sort id)': () => coll.find({ $and: [{}, {}] }, { sort: { id: 1 }, skip: 0 }),
    '  count({$and:[{},{}]})': () => coll.count({ $and: [{}, {}] }),
    'results.map(publicWorkspace)': () => list.map(publicWorkspace),
    'JSON.stringify(list)': () => JSON.stringify(list.map(publicWorkspace)),
  };
  const out = {};
  for (const [name, fn] of Object.entries(cases)) {
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await fn();
      best = Math.min(best, ((performance.now() - t0) * 1000) / n);
    }
    out[name] = best;
  }
  return out;
}

childMain(async () => {
  const dataDir = process.argv[2];
  const trace = process.env.CHRONICLE_BENCH_TRACE === '1' ? tracer() : null;
  if (process.env.CHRONICLE_BENCH_CHEAP_ARGON2 === '1') cheapArgon2();
  if (trace) installTrace(trace);
  const { loadConfig } = dist('config.js');
  const { startChronicle } = dist('app.js');
  const pino = require('pino');
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: 'x'.repeat(32),
    LOG_LEVEL: 'silent',
    RATE_LIMIT_AUTH_PER_MIN: '1000000',
    RATE_LIMIT_API_PER_MIN: '1000000000',
    RATE_LIMIT_UPLOAD_PER_MIN: '1000000',
    ...(process.env.CHRONICLE_BENCH_LLM_UPSTREAM
      ? { LLM_PROVIDER: 'openai', OPENAI_BASE_URL: process.env.CHRONICLE_BENCH_LLM_UPSTREAM, OPENAI_API_KEY: 'bench' }
      : {}),
  });
  const chronicle = await startChronicle(config, pino({ level: 'silent' }));
  if (trace) {
    chronicle.server.prependListener('request', (req, res) => {
      const t0 = performance.now();
      if (req.url.includes('stream_chat')) {
        trace.begin('sse');
        const write = res.write;
        let first = true;
        res.write = function (chunk, ...rest) {
          if (first && String(chunk).includes('"stream"')) {
            trace.mark('7 first token written');
            first = false;
          }
          return write.call(this, chunk, ...rest);
        };
        res.on('finish', () => trace.end());
      }
      const key = `${req.method} ${req.url.replace(/\/\d+\//, '/{id}/')}`;
      res.on('finish', () => trace.record(`HTTP ${key} (server side, total)`, performance.now() - t0));
    });
  }
  let prof = null;

  process.on('message', async (m) => {
    try {
      if (m.cmd === 'stats') {
        process.send({
          stats: {
            memory: process.memoryUsage(),
            cpu: process.cpuUsage(),
            stages: trace ? trace.stats() : {},
            windows: trace ? trace.windows() : [],
            arrivals: trace ? trace.arrivals() : [],
            transportWindows: trace ? trace.transportWindows() : [],
            askWindows: trace ? trace.askWindows() : [],
          },
        });
      } else if (m.cmd === 'reset') {
        trace?.reset();
        process.send({ reset: true });
      } else if (m.cmd === 'profile-start') {
        prof = profiler();
        await prof.start();
        process.send({ profiling: true });
      } else if (m.cmd === 'profile-stop') {
        await prof.stop(m.file);
        prof = null;
        process.send({ profiled: m.file });
      } else if (m.cmd === 'stream') {
        // Positions and data of one stream's events, straight from the event store (the fan-out maps the
        // positions pushed to subscribers back to the updates it sent).
        const events = await chronicle.deps.store.readStream(m.name);
        process.send({ events: events.map((e) => ({ position: e.position, type: e.type, data: e.data })) });
      } else if (m.cmd === 'micro-reads') {
        process.send({ micro: await microReads(chronicle, m) });
      } else if (m.cmd === 'stop') {
        await chronicle.close();
        process.send({ stopped: true }, () => process.exit(0));
      }
    } catch (err) {
      process.send({ error: err && err.stack ? err.stack : String(err) });
    }
  });
  process.send({ ready: true, url: chronicle.url, pid: process.pid });
});
