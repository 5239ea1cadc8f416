'use strict';
/**
 * Child process: Chronicle from dist/ (startChronicle) on an ephemeral port with embedded adapters
 * (SQLite event store, SQLite-backed in-memory read store, in-process pub/sub), all roles.
 * argv[2] = DATA_DIR (temporary, removed by the parent).
 *
 * Config: PORT 0, HOST 127.0.0.1, JWT_SECRET 'x'×32, LOG_LEVEL silent, RATE_LIMIT_AUTH_PER_MIN 1e6
 * (set-up registers and logs in hundreds of users from one address).
 *
 * CHRONICLE_BENCH_PATCHES (comma list) applies candidate fixes from outside src/, to measure what a
 * src/ change would buy; see patches.js.
 *
 * IPC in:  {cmd: 'profile-start'} | {cmd: 'profile-stop', file} | {cmd: 'stream', name}
 *          | {cmd: 'trace-reset'} | {cmd: 'trace-stats'} | {cmd: 'stop'}
 * IPC out: {ready, url, pid, patches} | {profiling} | {profiled} | {events} | {traceReset} | {trace} | {stopped}
 */
const { dist, childMain } = require('../lib/common.js');
const { applyPatches, tracer } = require('./patches.js');
const { profiler } = require('./profiler.js');

/**
 * The pieces of a list read timed in-process, without HTTP (µs per call, best of 3 runs of `n`):
 * token check, user lookup, the list query and its parts, the mapping and JSON of the answer.
 */
async function microReads(chronicle, { token, userId, n = 2000 }) {
  const crypto = require('node:crypto');
  const jwt = require('jsonwebtoken');
  const { deps } = chronicle;
  const { findUser } = dist('projections/users/queries.js');
  const { listWorkspaces, publicWorkspace } = dist('projections/workspaces/queries.js');
  const { TokenService } = dist('commands/identity/tokens.js');
  const actor = { type: 'user', userId, role: 'admin' };
  const secret = 'x'.repeat(32);
  const key = crypto.createSecretKey(Buffer.from(secret));
  const coll = deps.db.collection('workspaces');
  const list = (await listWorkspaces(deps.db, actor, {}, { skip: 0 })).results;
  const docs = typeof deps.db.mem === 'function' ? [...deps.db.mem('workspaces').docs.values()] : list;
  const cases = {
    'jwt.verify, string secret (what passport-jwt got before aa65461)': () => jwt.verify(token, secret, { algorithms: ['HS256'] }),
    'jwt.verify, KeyObject': () => jwt.verify(token, key, { algorithms: ['HS256'] }),
    'TokenService claims check': () => TokenService.accessClaims(jwt.verify(token, key, { algorithms: ['HS256'] })),
    'findUser (findOne by _id + structuredClone)': () => findUser(deps.db, userId),
    'listWorkspaces (find + count, 20 docs)': () => listWorkspaces(deps.db, actor, {}, { skip: 0 }),
    '  find({$and:[{},{}]}, sort id)': () => coll.find({ $and: [{}, {}] }, { sort: { id: 1 }, skip: 0 }),
    '  count({$and:[{},{}]})': () => coll.count({ $and: [{}, {}] }),
    '  structuredClone of the 20 docs': () => structuredClone(docs),
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
  const patches = (process.env.CHRONICLE_BENCH_PATCHES ?? '').split(',').filter(Boolean);
  const trace = process.env.CHRONICLE_BENCH_TRACE === '1' ? tracer() : null;
  applyPatches(patches, trace);
  const { loadConfig } = dist('config.js');
  const { startChronicle } = dist('app.js');
  const pino = require('pino');
  const config = loadConfig({
    DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', JWT_SECRET: 'x'.repeat(32), LOG_LEVEL: 'silent',
    RATE_LIMIT_AUTH_PER_MIN: '1000000', RATE_LIMIT_API_PER_MIN: '100000000',
  });
  const chronicle = await startChronicle(config, pino({ level: 'silent' }));
  let prof = null;

  process.on('message', async (m) => {
    try {
      if (m.cmd === 'profile-start') {
        prof = profiler();
        await prof.start();
        process.send({ profiling: true });
      } else if (m.cmd === 'profile-stop') {
        await prof.stop(m.file);
        prof = null;
        process.send({ profiled: m.file });
      } else if (m.cmd === 'stream') {
        // Positions and data of one stream's events, straight from the event store (the bench maps
        // the positions pushed to subscribers back to the updates it sent).
        const events = await chronicle.deps.store.readStream(m.name);
        process.send({ events: events.map((e) => ({ position: e.position, type: e.type, data: e.data })) });
      } else if (m.cmd === 'micro-reads') {
        process.send({ micro: await microReads(chronicle, m) });
      } else if (m.cmd === 'trace-reset') {
        trace?.reset();
        process.send({ traceReset: true });
      } else if (m.cmd === 'trace-stats') {
        process.send({ trace: trace ? trace.stats() : null });
      } else if (m.cmd === 'stop') {
        await chronicle.close();
        process.send({ stopped: true }, () => process.exit(0));
      }
    } catch (err) {
      process.send({ error: err && err.stack ? err.stack : String(err) });
    }
  });
  process.send({ ready: true, url: chronicle.url, pid: process.pid, patches });
});
