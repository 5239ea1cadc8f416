'use strict';
/**
 * Micro-benches behind the round-trip diagnosis (in-process, each figure beside its own baseline):
 *
 *  jwt     jsonwebtoken 9 verify/sign with the string secret (as TokenService and passport-jwt use
 *          it) vs a crypto KeyObject made once from the same secret. With a string, jsonwebtoken
 *          first tries createPublicKey(secret) — which parses it as a PEM/DER key and throws — on
 *          every call, then falls back to createSecretKey.
 *  stream  cost of a command's load (SqliteEventStore.readStream + fold with the user decider)
 *          against the length of the user's stream; UserLoggedIn and SessionRefreshed also land
 *          on user-<id>, so an active user's stream keeps growing. Baseline: a 1-event stream.
 *
 *   node bench/micro.js [--quick]
 */
const crypto = require('node:crypto');
const path = require('node:path');
const { dist, flags, tmpDir, rmrf, fmt, table } = require('./lib/common.js');

function perOp(fn, minMs) {
  for (let i = 0; i < 50; i++) fn(); // warm-up
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
    t = performance.now();
  }
  return ((t - t0) * 1000) / n; // µs per op
}

function jwtBench(minMs) {
  const jwt = require('jsonwebtoken');
  const secret = 'x'.repeat(32);
  const key = crypto.createSecretKey(Buffer.from(secret));
  const token = jwt.sign({ typ: 'access', ver: 0 }, secret, {
    subject: '1',
    expiresIn: 900,
    jwtid: crypto.randomUUID(),
    algorithm: 'HS256',
  });
  const opts = { algorithms: ['HS256'] };
  const res = {
    verifyString: perOp(() => jwt.verify(token, secret, opts), minMs),
    verifyKeyObject: perOp(() => jwt.verify(token, key, opts), minMs),
    signString: perOp(
      () => jwt.sign({ typ: 'access', ver: 0 }, secret, { subject: '1', expiresIn: 900, algorithm: 'HS256' }),
      minMs,
    ),
    signKeyObject: perOp(
      () => jwt.sign({ typ: 'access', ver: 0 }, key, { subject: '1', expiresIn: 900, algorithm: 'HS256' }),
      minMs,
    ),
  };
  return res;
}

async function streamBench(lengths, minMs) {
  const { SqliteEventStore } = dist('infra/eventstore/sqlite.js');
  const { userDecider } = dist('domain/identity/user.js');
  const dir = tmpDir('micro');
  const store = SqliteEventStore.open(path.join(dir, 'events.sqlite'));
  const meta = {
    actorId: '1',
    actorType: 'user',
    correlationId: crypto.randomUUID(),
    causationId: crypto.randomUUID(),
    ip: '127.0.0.1',
    userAgent: 'bench',
    schemaVersion: 1,
  };
  const at = new Date().toISOString();
  const out = [];
  try {
    for (const n of lengths) {
      const stream = `user-${n}`;
      const events = [
        {
          id: crypto.randomUUID(),
          type: 'UserRegistered',
          data: {
            userId: n,
            username: `u${n}`,
            email: `u${n}@example.com`,
            passwordHash:
              '$argon2id$v=19$m=19456,p=1,t=2$abcdefghijklmnopqrstuv$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq',
            role: 'default',
            registeredAt: at,
          },
          metadata: meta,
        },
      ];
      // A plausible life: each login opens a session that is then refreshed 3 times (access tokens
      // live 15 min), and every 10th event is an admin update. Refreshes rotate the token of the
      // session they belong to; nothing ever closes a session.
      let session = null;
      let token = null;
      for (let i = 1; i < n; i++) {
        const kind = i % 10;
        let type;
        let data;
        if (kind === 9) {
          type = 'UserUpdated';
          data = { userId: n, changes: { dailyMessageLimit: i }, at };
        } else if (kind % 4 === 0 || !session) {
          type = 'UserLoggedIn';
          session = crypto.randomUUID();
          token = crypto.randomUUID();
          data = { userId: n, sessionId: session, refreshTokenId: token, at };
        } else {
          type = 'SessionRefreshed';
          const next = crypto.randomUUID();
          data = { userId: n, sessionId: session, previousTokenId: token, refreshTokenId: next, at };
          token = next;
        }
        events.push({ id: crypto.randomUUID(), type, data, metadata: meta });
      }
      for (let i = 0; i < events.length; i += 1000)
        await store.appendToStream(stream, events.slice(i, i + 1000), 'any');
      // What handleCommand does before deciding, timed in its two parts.
      let state;
      let readUs = 0;
      let foldUs = 0;
      const load = async () => {
        const t0 = performance.now();
        const recorded = await store.readStream(stream);
        const t1 = performance.now();
        state = userDecider.initialState();
        for (const e of recorded) state = userDecider.evolve(state, e);
        readUs += (t1 - t0) * 1000;
        foldUs += (performance.now() - t1) * 1000;
      };
      await load();
      readUs = 0;
      foldUs = 0;
      const t0 = performance.now();
      let k = 0;
      while (performance.now() - t0 < minMs || k < 2) {
        await load();
        k++;
      }
      out.push({
        length: n,
        usPerLoad: ((performance.now() - t0) * 1000) / k,
        readUs: readUs / k,
        foldUs: foldUs / k,
        sessionsInState: Object.keys(state.sessions).length,
      });
    }
  } finally {
    await store.close();
    rmrf(dir);
  }
  return out;
}

async function runMicro(opts = {}) {
  const minMs = opts.quick ? 150 : 500;
  const jwt = jwtBench(minMs);
  // Stops at 3,000 events: the fold is quadratic (10,000 events took ~27 s per load here).
  const stream = await streamBench(opts.quick ? [1, 100, 1000] : [1, 10, 100, 1000, 3000], minMs);
  return { jwt, stream };
}

function report(r) {
  const j = r.jwt;
  const lines = ['micro: jsonwebtoken 9 with the string secret vs a KeyObject made once (µs per call)'];
  lines.push(
    table([
      ['', 'string secret (as built)', 'KeyObject', 'ratio'],
      [
        'verify',
        j.verifyString.toFixed(1),
        j.verifyKeyObject.toFixed(1),
        fmt.ratio(j.verifyString / j.verifyKeyObject),
      ],
      ['sign', j.signString.toFixed(1), j.signKeyObject.toFixed(1), fmt.ratio(j.signString / j.signKeyObject)],
    ]).replace(/^/gm, '    '),
  );
  lines.push(
    "micro: a command's load (readStream + fold) against the user stream length (logins, each followed by refreshes; 1 in 10 an admin update); baseline = 1 event",
  );
  const base = r.stream[0].usPerLoad;
  lines.push(
    table([
      [
        'events in user stream',
        'ms per load',
        'readStream',
        'fold (evolve)',
        'vs 1 event',
        'µs per event',
        'sessions in state',
      ],
      ...r.stream.map((s) => [
        fmt.int(s.length),
        (s.usPerLoad / 1000).toFixed(2),
        (s.readUs / 1000).toFixed(2),
        (s.foldUs / 1000).toFixed(2),
        fmt.ratio(s.usPerLoad / base),
        (s.usPerLoad / s.length).toFixed(2),
        fmt.int(s.sessionsInState),
      ]),
    ]).replace(/^/gm, '    '),
  );
  return lines.join('\n');
}

module.exports = { runMicro, report };

if (require.main === module) {
  require('./lib/common.js').snapshotDist();
  runMicro(flags()).then(
    (r) => console.log(report(r)),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
