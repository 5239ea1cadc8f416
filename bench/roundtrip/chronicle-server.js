'use strict';
/**
 * Child process: Chronicle from dist/ (startChronicle) on an ephemeral port, embedded adapters.
 * argv[2] = DATA_DIR. With CHRONICLE_BENCH_TRACE=1 it wraps the stages of a request (JWT verify,
 * user lookup, readStream, append, projection, read-your-writes wait, final read) in timers, without
 * touching src/: the wrappers patch exported prototypes and module objects before the app is wired.
 *
 *
 * CHRONICLE_BENCH_PATCHES (comma list) applies candidate fixes from the outside, to measure what a
 * src/ change would buy before making it:
 *   jwt-keyobject  jsonwebtoken gets a cached crypto KeyObject instead of the string secret
 *                  (= TokenService holding createSecretKey(secret)); with a string, jsonwebtoken 9
 *                  first tries createPublicKey() on it, which throws, on every verify and sign
 *   nedb-fd        nedb appends through a file descriptor kept open (fs.writeSync) instead of
 *                  fs.promises.appendFile (open + write + close on the thread pool) per write;
 *                  same durability (neither fsyncs), fd reopened after compaction/drop
 *   no-pino-http   pino-http replaced by a middleware that only sets req.id / X-Request-Id (what the
 *                  request logger costs with LOG_LEVEL=silent)
 *   no-event-logs  the event_logs projection left out (what it costs per request; not a fix)
 *
 * IPC in: {cmd: 'stats'} | {cmd: 'reset'} | {cmd: 'profile-start'} | {cmd: 'profile-stop', file} | {cmd: 'stop'}
 * IPC out: {ready, url, pid, patches} | {stats} | {reset} | {profiling} | {profiled} | {stopped}
 */
const { dist, childMain } = require('../lib/common.js');

const stages = new Map();
function record(name, ms) {
  let s = stages.get(name);
  if (!s) stages.set(name, (s = { count: 0, totalMs: 0, maxMs: 0 }));
  s.count++;
  s.totalMs += ms;
  if (ms > s.maxMs) s.maxMs = ms;
}
const now = () => performance.now();

function wrapAsync(obj, key, name) {
  const orig = obj[key];
  obj[key] = function (...args) {
    const t0 = now();
    const p = orig.apply(this, args);
    return Promise.resolve(p).finally(() => record(typeof name === 'function' ? name(this, args) : name, now() - t0));
  };
}

function wrapSync(obj, key, name) {
  const orig = obj[key];
  obj[key] = function (...args) {
    const t0 = now();
    try {
      return orig.apply(this, args);
    } finally {
      record(name, now() - t0);
    }
  };
}

function installTracing() {
  const { SqliteEventStore } = dist('infra/eventstore/sqlite.js');
  const { NedbReadStore } = dist('infra/readstore/nedb.js');
  const { ProjectionProgress } = dist('projections/shared/progress.js');
  const { CheckpointedSubscriber } = dist('projections/shared/checkpointed-subscriber.js');
  const { usersProjection } = dist('projections/users/projection.js');
  const admin = dist('commands/identity/admin.js');

  wrapAsync(admin, 'updateUser', 'command updateUser (zod + readStream + fold + decide + append, total)');
  wrapAsync(SqliteEventStore.prototype, 'readStream', (_s, [stream]) => `  eventstore.readStream(${stream.split('-')[0]}-*)`);
  wrapAsync(SqliteEventStore.prototype, 'appendToStream', '  eventstore.appendToStream (IMMEDIATE tx, WAL commit)');
  wrapSync(SqliteEventStore.prototype, 'readAllSync', 'projection: readAllSync (subscription catch-up read)');
  wrapAsync(CheckpointedSubscriber.prototype, 'handleBatch', 'projection: handleBatch (apply + checkpoint + publish, total)');
  wrapAsync(usersProjection, 'apply', '  projection users.apply (per event)');
  wrapAsync(ProjectionProgress.prototype, 'waitFor', 'read-your-writes: progress.waitFor (wall)');

  const stores = [['nedb', NedbReadStore]];
  try {
    stores.push(['sqlite-rs', dist('infra/readstore/sqlite.js').SqliteReadStore]);
  } catch {
    // dist without the SQLite read store
  }
  for (const [label, Store] of stores) {
    if (typeof Store !== 'function') continue;
    const origCollection = Store.prototype.collection;
    Store.prototype.collection = function (name) {
      const coll = origCollection.call(this, name);
      for (const m of ['findOne', 'updateOne', 'find', 'count', 'insertOne']) wrapAsync(coll, m, `    ${label} ${name}.${m}`);
      return coll;
    };
    if (Store.prototype.flush) wrapAsync(Store.prototype, 'flush', `  ${label} flush (after each projection batch)`);
  }

  const jwt = require('jsonwebtoken');
  const origVerify = jwt.verify;
  jwt.verify = function (token, secret, options, callback) {
    const t0 = now();
    if (typeof callback === 'function') {
      return origVerify.call(this, token, secret, options, (...a) => {
        record('  jwt.verify (HS256)', now() - t0);
        callback(...a);
      });
    }
    try {
      return origVerify.call(this, token, secret, options, callback);
    } finally {
      record('  jwt.verify (HS256)', now() - t0);
    }
  };

  const passport = require('passport');
  const Authenticator = Object.getPrototypeOf(passport);
  const origAuth = Authenticator.authenticate;
  Authenticator.authenticate = function (strategy, options, callback) {
    if (typeof callback !== 'function') return origAuth.call(this, strategy, options, callback);
    const t0 = now();
    return origAuth.call(this, strategy, options, (...a) => {
      record('auth: passport-jwt (verify + users.findOne)', now() - t0);
      callback(...a);
    });
  };
}

function patchJwtKeyObject() {
  const crypto = require('node:crypto');
  const jwt = require('jsonwebtoken');
  const keys = new Map();
  const key = (secret) => {
    if (typeof secret !== 'string') return secret;
    let k = keys.get(secret);
    if (!k) keys.set(secret, (k = crypto.createSecretKey(Buffer.from(secret))));
    return k;
  };
  const { verify, sign } = jwt;
  jwt.verify = function (token, secret, ...rest) {
    return verify.call(this, token, key(secret), ...rest);
  };
  jwt.sign = function (payload, secret, ...rest) {
    return sign.call(this, payload, key(secret), ...rest);
  };
}

function patchNedbFd() {
  const fs = require('node:fs');
  const Persistence = require('@seald-io/nedb/lib/persistence.js');
  const model = require('@seald-io/nedb/lib/model.js');
  const fds = new Map();
  const forget = (filename) => {
    const fd = fds.get(filename);
    if (fd !== undefined) {
      fds.delete(filename);
      fs.closeSync(fd);
    }
  };
  const P = Persistence.prototype;
  P.persistNewStateAsync = async function (newDocs) {
    if (this.inMemoryOnly) return;
    let toPersist = '';
    for (const doc of newDocs) toPersist += (await this.afterSerialization(model.serialize(doc))) + '\n';
    if (toPersist.length === 0) return;
    let fd = fds.get(this.filename);
    if (fd === undefined) fds.set(this.filename, (fd = fs.openSync(this.filename, 'a', this.modes.fileMode)));
    fs.writeSync(fd, toPersist);
  };
  for (const m of ['persistCachedDatabaseAsync', 'dropDatabaseAsync']) {
    const orig = P[m];
    P[m] = async function (...args) {
      forget(this.filename); // compaction renames a new file over it; drop deletes it
      try {
        return await orig.apply(this, args);
      } finally {
        forget(this.filename);
      }
    };
  }
}

function applyPatches(patches) {
  for (const p of patches) {
    if (p === 'jwt-keyobject') patchJwtKeyObject();
    else if (p === 'nedb-fd') patchNedbFd();
    else if (p === 'no-pino-http') {
      const pinoHttp = require('pino-http');
      pinoHttp.pinoHttp = (opts) => (req, res, next) => {
        req.id = opts.genReqId(req, res);
        req.log = opts.logger;
        next();
      };
    } else if (p === 'no-event-logs') {
      const all = dist('projections/all.js').ALL_PROJECTIONS;
      const i = all.findIndex((x) => x.name === 'event_logs');
      if (i >= 0) all.splice(i, 1);
    } else throw new Error(`unknown patch ${p}`);
  }
}

/** CPU profile of a window only (not start-up), through the inspector of this process. */
function profiler() {
  const inspector = require('node:inspector');
  const fs = require('node:fs');
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  return {
    async start() {
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 500 });
      await post('Profiler.start');
    },
    async stop(file) {
      const { profile } = await post('Profiler.stop');
      fs.writeFileSync(file, JSON.stringify(profile));
    },
  };
}

childMain(async () => {
  const dataDir = process.argv[2];
  const patches = (process.env.CHRONICLE_BENCH_PATCHES ?? '').split(',').filter(Boolean);
  applyPatches(patches);
  if (process.env.CHRONICLE_BENCH_TRACE === '1') installTracing();
  let prof = null;
  const { loadConfig } = dist('config.js');
  const { startChronicle } = dist('app.js');
  const pino = require('pino');
  const config = loadConfig({
    DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', JWT_SECRET: 'x'.repeat(32), LOG_LEVEL: 'silent',
    RATE_LIMIT_AUTH_PER_MIN: '100000', RATE_LIMIT_API_PER_MIN: '100000000',
  });
  const chronicle = await startChronicle(config, pino({ level: 'silent' }));
  if (process.env.CHRONICLE_BENCH_TRACE === '1') {
    chronicle.server.prependListener('request', (req, res) => {
      const t0 = now();
      const key = `${req.method} ${req.url.replace(/\/\d+\//, '/{id}/')}`;
      res.on('finish', () => record(`HTTP ${key} (server side, total)`, now() - t0));
    });
  }

  process.on('message', async (m) => {
    if (m.cmd === 'stats') {
      process.send({
        stats: {
          memory: process.memoryUsage(),
          cpu: process.cpuUsage(),
          stages: Object.fromEntries([...stages].map(([k, v]) => [k, { ...v, meanMs: v.totalMs / v.count }])),
        },
      });
    } else if (m.cmd === 'reset') {
      stages.clear();
      process.send({ reset: true });
    } else if (m.cmd === 'profile-start') {
      prof = profiler();
      await prof.start();
      process.send({ profiling: true });
    } else if (m.cmd === 'profile-stop') {
      await prof.stop(m.file);
      process.send({ profiled: m.file });
    } else if (m.cmd === 'stop') {
      await chronicle.close();
      process.send({ stopped: true }, () => process.exit(0));
    }
  });
  process.send({ ready: true, url: chronicle.url, pid: process.pid, patches });
});
