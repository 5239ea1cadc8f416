'use strict';
/**
 * Candidate fixes applied from outside src/ (monkey-patching dist modules and libraries in the
 * Chronicle child before the app is wired), to measure what a src/ change would buy before making
 * it; plus stage timers for the fan-out. Selected by CHRONICLE_BENCH_PATCHES (comma list).
 *
 *   setup-cheap-argon2  set-up aid (fanout.js): argon2id at 1 MiB / 1 pass; on no measured path
 *   jwt-keyobject       jsonwebtoken given a cached KeyObject instead of the string secret
 *                       (= TokenService holding createSecretKey(secret)); see jwtKeyObject()
 *   no-pino-http        pino-http replaced by a middleware that only sets req.id / X-Request-Id
 *                       (= skip the request logger when LOG_LEVEL is silent)
 *   helmet-static       helmet's headers computed once and replayed (same headers, one loop)
 *   no-metrics          prom-client request histogram off (what it costs; not a fix)
 *   readstore-noclone   SqliteReadStore find/findOne hand out stored documents (frozen) instead
 *                       of structuredClone copies (= freeze on write, never clone on read)
 *   readstore-and-id    SqliteReadStore's planner also uses an _id / indexed equality found in a
 *                       top-level $and (findWorkspaceById is {$and: [visibleTo(actor), {_id}]})
 *   complexity-cache    GraphQL complexity computed once per parsed document when the operation has
 *                       no variables (Apollo reuses the DocumentNode), instead of on every request
 *   auth-direct         the REST authenticator without passport/passport-jwt: jwt.verify with a
 *                       KeyObject, then the same user check (actorFromClaims)
 *   ws-shared-read      findWorkspaceById: direct _id lookup, membership from a Set cached per
 *                       document version, no clone (= subscriptions read the workspace once per
 *                       notice and check visibility in memory instead of one scoped query each)
 */
const crypto = require('node:crypto');
const { dist } = require('../lib/common.js');

function tracer() {
  const stages = new Map();
  return {
    record(name, ms) {
      let s = stages.get(name);
      if (!s) stages.set(name, (s = { count: 0, totalMs: 0, maxMs: 0 }));
      s.count++;
      s.totalMs += ms;
      if (ms > s.maxMs) s.maxMs = ms;
    },
    reset: () => stages.clear(),
    stats: () => Object.fromEntries([...stages].map(([k, v]) => [k, { ...v, meanMs: v.totalMs / v.count }])),
  };
}

/**
 * Set-up aid, not a fix: argon2id at 1 MiB / 1 pass instead of 19 MiB / 2 passes, so that seeding a
 * thousand members (register + login each) takes seconds, not minutes, on 2 shared cores. Hashing is
 * on no measured path (list reads, workspace PATCH, subscription pushes); verify reads the cost
 * parameters from the hash it checks, so logins get cheap too.
 */
function cheapArgon2() {
  const argon2 = require('argon2');
  const hash = argon2.hash;
  argon2.hash = (password, options = {}) => hash(password, { ...options, memoryCost: 1024, timeCost: 1 });
}

/**
 * jwt-keyobject: jsonwebtoken given a crypto KeyObject made once from the secret, as TokenService
 * would hold `createSecretKey(Buffer.from(secret))` (and hand it to passport-jwt as secretOrKey).
 * Given a string, jsonwebtoken 9 first tries createPublicKey() on it, which parses it as PEM, fails
 * and throws, then falls back to createSecretKey: on every verify and sign.
 */
function jwtKeyObject() {
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

function noPinoHttp() {
  const pinoHttp = require('pino-http');
  pinoHttp.pinoHttp = (opts) => (req, res, next) => {
    req.id = opts.genReqId(req, res);
    req.log = opts.logger;
    next();
  };
}

/** Replaces a package's exports before dist requires it (CommonJS cache). */
function replaceModule(name, make) {
  const resolved = require.resolve(name);
  const original = require(resolved);
  require.cache[resolved].exports = make(original);
}

/** helmet(options) run once against a recording response; each request replays what it did. */
function helmetStatic() {
  replaceModule('helmet', (helmet) => {
    const fn = (options) => {
      const ops = [];
      const res = {
        setHeader: (k, v) => ops.push(['set', k, v]),
        removeHeader: (k) => ops.push(['remove', k]),
        getHeader: () => undefined,
      };
      helmet(options)({ headers: {}, method: 'GET', url: '/' }, res, () => {});
      return (_req, response, next) => {
        for (const [op, k, v] of ops) {
          if (op === 'set') response.setHeader(k, v);
          else response.removeHeader(k);
        }
        next();
      };
    };
    return Object.assign(fn, helmet, { default: fn });
  });
}

function noMetrics() {
  const { Histogram } = require('prom-client');
  Histogram.prototype.startTimer = () => () => {};
}

const frozen = new WeakSet();
function deepFreeze(value) {
  if (value === null || typeof value !== 'object' || frozen.has(value)) return value;
  frozen.add(value);
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}

function sqliteCollectionPrototype() {
  const { SqliteReadStore } = dist('infra/readstore/sqlite.js');
  return Object.getPrototypeOf(SqliteReadStore.prototype.collection.call({}, 'probe'));
}

function readstoreNoClone() {
  const { compareThings, getDotValue } = require('@seald-io/nedb/lib/model.js');
  const proto = sqliteCollectionPrototype();
  const comparator = (sort) => (a, b) => {
    for (const [field, direction] of Object.entries(sort)) {
      const c = compareThings(getDotValue(a, field), getDotValue(b, field));
      if (c !== 0) return c * direction;
    }
    return 0;
  };
  proto.findOne = async function (filter) {
    const [doc] = this.matching(filter, true);
    return doc ? deepFreeze(doc) : null;
  };
  proto.find = async function (filter, options = {}) {
    const docs = this.matching(filter);
    if (options.sort) docs.sort(comparator(options.sort));
    const start = options.skip ?? 0;
    const end = options.limit ? start + options.limit : undefined;
    return docs.slice(start, end).map(deepFreeze);
  };
}

/** The planner also looks inside a top-level $and for an _id or indexed equality (match still checks the whole filter). */
function readstoreAndId() {
  const proto = sqliteCollectionPrototype();
  const candidates = proto.candidates;
  proto.candidates = function (filter) {
    if (typeof filter._id !== 'string' && Array.isArray(filter.$and)) {
      for (const part of filter.$and) {
        if (!part || typeof part !== 'object' || Array.isArray(part)) continue;
        const narrowed = candidates.call(this, part);
        if (Array.isArray(narrowed)) return narrowed; // an _id or index hit (a full scan is an iterator)
      }
    }
    return candidates.call(this, filter);
  };
}

/**
 * The complexity of an operation computed once per parsed document (Apollo reuses the DocumentNode of
 * a query string it has seen) when it has no variables; with variables, as before.
 */
function complexityCache() {
  const limits = dist('graphql/limits.js');
  const compute = limits.complexityError;
  const memo = new WeakMap(); // DocumentNode -> Map(operationName -> error|null)
  const cached = (schema, document, variables, operationName) => {
    if (variables && Object.keys(variables).length) return compute(schema, document, variables, operationName);
    let byOp = memo.get(document);
    if (!byOp) memo.set(document, (byOp = new Map()));
    const key = operationName ?? '';
    if (!byOp.has(key)) byOp.set(key, compute(schema, document, variables, operationName));
    return byOp.get(key);
  };
  limits.complexityError = cached;
  limits.complexityPlugin = (schema) => ({
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          const error = cached(schema, document, request.variables, request.operationName);
          if (error) throw error;
        },
      };
    },
  });
}

function authDirect() {
  const jwt = require('jsonwebtoken');
  const auth = dist('rest/auth.js');
  const { TokenService } = dist('commands/identity/tokens.js');
  const { actorFromClaims } = dist('commands/identity/authenticate.js');
  const { INVALID_TOKEN } = dist('domain/identity/user.js');
  const { DomainError, unauthorized } = dist('domain/shared/errors.js');
  auth.authenticator = (db, tokens) => {
    // TokenService holds a KeyObject since aa65461 (verificationKey); before, the string secret.
    const key = tokens.verificationKey ?? crypto.createSecretKey(Buffer.from(tokens.verificationSecret));
    return (req, _res, next) => {
      const header = req.headers.authorization;
      if (!header) return next();
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) return next(unauthorized(INVALID_TOKEN));
      let payload;
      try {
        payload = jwt.verify(m[1], key, { algorithms: ['HS256'] });
      } catch {
        return next(unauthorized(INVALID_TOKEN));
      }
      const claims = TokenService.accessClaims(payload);
      if (!claims) return next(unauthorized(INVALID_TOKEN));
      actorFromClaims(db, claims).then((actor) => {
        req.actor = actor;
        next();
      }, (err) => next(err instanceof DomainError ? unauthorized(INVALID_TOKEN) : err));
    };
  };
}

function wsSharedRead() {
  const queries = dist('projections/workspaces/queries.js');
  const { WORKSPACES } = dist('projections/workspaces/projection.js');
  const { isPrivileged } = dist('domain/identity/roles.js');
  const original = queries.findWorkspaceById;
  const memberSets = new WeakMap(); // stored documents are replaced on every write, so a version's Set never goes stale
  queries.findWorkspaceById = async (db, actor, id) => {
    if (typeof db.mem !== 'function') return original(db, actor, id); // not the embedded SQLite store
    const doc = db.mem(WORKSPACES).docs.get(String(id));
    if (!doc) return null;
    if (!isPrivileged(actor.role)) {
      let members = memberSets.get(doc);
      if (!members) memberSets.set(doc, (members = new Set(doc.members)));
      if (!members.has(actor.userId)) return null;
    }
    return deepFreeze(doc);
  };
}

const PATCHES = {
  'setup-cheap-argon2': cheapArgon2,
  'jwt-keyobject': jwtKeyObject,
  'no-pino-http': noPinoHttp,
  'helmet-static': helmetStatic,
  'no-metrics': noMetrics,
  'readstore-noclone': readstoreNoClone,
  'readstore-and-id': readstoreAndId,
  'complexity-cache': complexityCache,
  'auth-direct': authDirect,
  'ws-shared-read': wsSharedRead,
};

/** Wall time of an async function, recorded under `name` (wraps obj[key] in place). */
function timeAsync(trace, obj, key, name) {
  const orig = obj[key];
  obj[key] = function (...args) {
    const t0 = performance.now();
    return Promise.resolve(orig.apply(this, args)).finally(() => trace.record(name, performance.now() - t0));
  };
}

/**
 * Time spent inside a call until it returns (its synchronous part), recorded under `name`; the
 * result is passed through untouched, so no microtask hop is added. The embedded read store does
 * all its work synchronously before returning a settled promise, so for its queries this is the cost.
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

/**
 * Stage timers for the fan-out (CHRONICLE_BENCH_TRACE=1), installed after the patches so they time
 * whatever is in place. Wall time for the per-update stages (the PATCH's command; the projection
 * batch, whose await on publish spans the whole fan-out of that update); synchronous time (= CPU)
 * for the per-subscriber read of each pushed event and for publish.
 */
function installTrace(trace) {
  const { SqliteEventStore } = dist('infra/eventstore/sqlite.js');
  const { CheckpointedSubscriber } = dist('projections/shared/checkpointed-subscriber.js');
  timeAsync(trace, dist('commands/workspaces/workspaces.js'), 'updateWorkspace', 'wall: command updateWorkspace (load stream + fold + decide + append)');
  timeAsync(trace, SqliteEventStore.prototype, 'readStream', 'wall:   eventstore.readStream (inside commands)');
  timeAsync(trace, CheckpointedSubscriber.prototype, 'handleBatch', 'wall: projection batch (apply, checkpoint, flush, publish; spans the fan-out)');
  timeSync(trace, dist('projections/workspaces/queries.js'), 'findWorkspaceById', 'sync: findWorkspaceById (REST answer + once per subscriber per event)');
  const { MemoryPubSub } = dist('infra/pubsub/memory.js');
  timeSync(trace, MemoryPubSub.prototype, 'publish', 'sync: pubsub.publish (JSON copy; delivery is a microtask)');
}

function applyPatches(patches, trace) {
  for (const p of patches) {
    if (!PATCHES[p]) throw new Error(`unknown patch ${p} (known: ${Object.keys(PATCHES).join(', ')})`);
    PATCHES[p]();
  }
  if (trace) installTrace(trace);
}

module.exports = { applyPatches, tracer };

/** Fix sets tried by --diagnose, cumulative where they stack. */
module.exports.FIX_SETS = {
  // jwt-keyobject is in src since aa65461 (a no-op on a dist built after it), so not among them.
  reads: [
    ['readstore-noclone'],
    ['readstore-noclone', 'complexity-cache'],
    ['readstore-noclone', 'complexity-cache', 'no-pino-http'],
    ['readstore-noclone', 'complexity-cache', 'no-pino-http', 'helmet-static', 'auth-direct'],
    ['readstore-noclone', 'complexity-cache', 'no-pino-http', 'helmet-static', 'auth-direct', 'no-metrics'],
  ],
  fanout: [['readstore-noclone'], ['readstore-noclone', 'readstore-and-id'], ['ws-shared-read']],
};
