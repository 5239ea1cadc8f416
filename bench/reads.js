'use strict';
/**
 * List reads (d): REST `GET /api/workspaces/` and GraphQL `{ workspaces { ... } }` over HTTP
 * POST /graphql, each against a bare baseline measured in the same run, plus the servers' peak RSS.
 *
 * Chronicle (dist/, child process api/chronicle-server.js) holds an admin and WORKSPACES workspaces;
 * every request carries the admin's Bearer access token. Load: lib/loadgen, CLIENTS closed-loop
 * keep-alive clients, warm-up then a measured window. Baselines (children too), sent the same
 * request bytes by the same client at the same concurrency:
 *   REST    api/rest-baseline.js   bare Express 5 route, res.json() of the exact list Chronicle answered
 *   GraphQL api/apollo-baseline.js bare Apollo Server 5 (expressMiddleware) over a tiny schema with the
 *                              same fields, answering the same items from memory
 * Each baseline runs right before its Chronicle counterpart; with --rounds=N the pairs are repeated
 * and means reported (each round's figures are kept).
 *
 *   node bench/reads.js [--quick] [--rounds=N] [--diagnose] [--json out.json]
 *
 * --diagnose: the pieces of a list read timed in-process; one more window per face for Chronicle and
 * for its baseline under the CPU profiler, compared by package as CPU µs per request; then the
 * candidate fixes of api/patches.js applied from outside src/, in rotation with "as built" (2 rounds
 * in a full run), each face next to a fresh baseline window (skipped with --no-variants, or when
 * --patches is given: then the profile is of the patched server).
 */
const fs = require('node:fs');
const path = require('node:path');
const { tmpDir, rmrf, fmt, table } = require('./lib/common.js');
const { summarizeProfile, formatProfile } = require('./lib/cpuprofile.js');
const {
  startChild,
  json,
  bearer,
  seedAdmin,
  seedWorkspaces,
  loadWithServerStats,
  environment,
} = require('./api/setup.js');

const TARGET_REST = 0.5;
const TARGET_GRAPHQL = 0.8;
const WORKSPACES = 20;
const GRAPHQL_QUERY = '{ workspaces { id slug name chatMode topN userCount documentCount createdAt } }';

function settings(f) {
  const base = f.quick
    ? { clients: 10, warmupMs: 1000, durationMs: 3000 }
    : { clients: 10, warmupMs: 2000, durationMs: 8000 };
  return { ...base, rounds: Number(f.rounds ?? 1), workspaces: WORKSPACES };
}

/** Chronicle with an admin and the workspaces; answers the server, the token and both faces' exact answers. */
async function startSeededChronicle(s) {
  const server = await startChild('../lib/chronicle-server.js', { label: 'chronicle' });
  try {
    const { admin, token } = await seedAdmin(server.url);
    await seedWorkspaces(server.url, token, s.workspaces);
    const rest = await json(server.url, 'GET', '/api/workspaces/', undefined, bearer(token));
    if (rest.status !== 200 || !Array.isArray(rest.body) || rest.body.length !== s.workspaces) {
      throw new Error(`GET /api/workspaces/: ${rest.status} ${String(rest.text).slice(0, 200)}`);
    }
    const gql = await json(server.url, 'POST', '/graphql', { query: GRAPHQL_QUERY }, bearer(token));
    if (gql.status !== 200 || gql.body?.errors || gql.body?.data?.workspaces?.length !== s.workspaces) {
      throw new Error(`POST /graphql: ${gql.status} ${String(gql.text).slice(0, 300)}`);
    }
    return {
      server,
      token,
      adminId: admin.id,
      restText: rest.text,
      restItems: rest.body,
      gqlText: gql.text,
      gqlItems: gql.body.data.workspaces,
    };
  } catch (err) {
    server.kill();
    throw err;
  }
}

const restRequest = (token) => {
  const req = {
    method: 'GET',
    path: '/api/workspaces/',
    headers: { Authorization: `Bearer ${token}`, 'User-Agent': 'chronicle-bench/1' },
  };
  return () => req;
};

const graphqlRequest = (token) => {
  const req = {
    method: 'POST',
    path: '/graphql',
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Bearer ${token}`,
      'User-Agent': 'chronicle-bench/1',
    },
    body: JSON.stringify({ query: GRAPHQL_QUERY }),
  };
  return () => req;
};

/** Success is a 2xx with no GraphQL `errors` (Apollo answers 200 with errors for resolver failures). */
const restOk = (r) => r.status >= 200 && r.status < 300;
const graphqlOk = (r) => r.status >= 200 && r.status < 300 && !r.body.includes('"errors"');

/** The baseline must answer what Chronicle answered, byte for byte (REST) or in data (GraphQL). */
async function checkSame(baseUrl, token, kind, expected) {
  const r =
    kind === 'rest'
      ? await json(baseUrl, 'GET', '/api/workspaces/', undefined, bearer(token))
      : await json(baseUrl, 'POST', '/graphql', { query: GRAPHQL_QUERY }, bearer(token));
  const same =
    kind === 'rest' ? r.text === expected : JSON.stringify(r.body?.data) === JSON.stringify(JSON.parse(expected).data);
  if (!same)
    throw new Error(
      `${kind} baseline answers differently from Chronicle:\n  chronicle ${expected.slice(0, 300)}\n  baseline  ${String(r.text).slice(0, 300)}`,
    );
  return r.text.length;
}

function pick(load) {
  return {
    reqPerSec: load.reqPerSec,
    requests: load.requests,
    latencyMs: load.latencyMs,
    errors: load.errors,
    statuses: load.statuses,
    errorSamples: load.errorSamples,
    serverCpuCores: load.serverCpuCores,
    serverCpuMsPerRequest: load.serverCpuMsPerRequest,
    peakRssMiB: load.peakRssMiB,
    clientCpuSeconds: load.clientCpuSeconds,
  };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Means over rounds of the headline figures; the rounds themselves are kept. */
function combine(runs) {
  if (runs.length === 1) return { ...runs[0], rounds: runs };
  return {
    reqPerSec: mean(runs.map((r) => r.reqPerSec)),
    requests: runs.reduce((a, r) => a + r.requests, 0),
    latencyMs: {
      p50: mean(runs.map((r) => r.latencyMs.p50)),
      p90: mean(runs.map((r) => r.latencyMs.p90)),
      p99: mean(runs.map((r) => r.latencyMs.p99)),
      max: Math.max(...runs.map((r) => r.latencyMs.max)),
    },
    errors: runs.reduce((a, r) => a + r.errors, 0),
    statuses: runs.map((r) => r.statuses),
    serverCpuCores: mean(runs.map((r) => r.serverCpuCores)),
    serverCpuMsPerRequest: mean(runs.map((r) => r.serverCpuMsPerRequest)),
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
    clientCpuSeconds: mean(runs.map((r) => r.clientCpuSeconds)),
    rounds: runs,
  };
}

async function runReads(opts = {}) {
  const s = settings(opts);
  const log = opts.log ?? console.log;
  log(
    `[reads] ${s.clients} clients, ${s.workspaces} workspaces, warm-up ${s.warmupMs / 1000} s, window ${s.durationMs / 1000} s, ${s.rounds} round(s)`,
  );

  const chronicle = await startSeededChronicle(s);
  const dataDir = tmpDir('reads-data');
  const servers = [chronicle.server];
  try {
    const restFile = path.join(dataDir, 'rest.json');
    const gqlFile = path.join(dataDir, 'graphql.json');
    fs.writeFileSync(restFile, chronicle.restText);
    fs.writeFileSync(gqlFile, JSON.stringify(chronicle.gqlItems));
    const express = await startChild('rest-baseline.js', { args: [restFile], label: 'rest-baseline' });
    servers.push(express);
    const apollo = await startChild('apollo-baseline.js', { args: [gqlFile], label: 'apollo-baseline' });
    servers.push(apollo);
    const restBytes = await checkSame(express.url, chronicle.token, 'rest', chronicle.restText);
    const gqlBytes = await checkSame(apollo.url, chronicle.token, 'graphql', chronicle.gqlText);
    log(
      `[reads] chronicle seeded; REST body ${fmt.int(restBytes)} B, GraphQL body ${fmt.int(gqlBytes)} B, baselines answer the same`,
    );

    const load = { clients: s.clients, warmupMs: s.warmupMs, durationMs: s.durationMs };
    const runs = { rest: { chronicle: [], baseline: [] }, graphql: { chronicle: [], baseline: [] } };
    for (let round = 0; round < s.rounds; round++) {
      const steps = [
        ['rest', 'baseline', express, restRequest, restOk],
        ['rest', 'chronicle', chronicle.server, restRequest, restOk],
        ['graphql', 'baseline', apollo, graphqlRequest, graphqlOk],
        ['graphql', 'chronicle', chronicle.server, graphqlRequest, graphqlOk],
      ];
      for (const [face, who, server, request, ok] of steps) {
        const r = pick(await loadWithServerStats(server, { ...load, request: request(chronicle.token), ok }));
        runs[face][who].push(r);
        log(
          `[reads] round ${round + 1} ${face.padEnd(7)} ${who.padEnd(9)} ${fmt.int(r.reqPerSec).padStart(6)} req/s  p50 ${fmt.ms(r.latencyMs.p50)}  p99 ${fmt.ms(r.latencyMs.p99)}  non-2xx/errors ${r.errors}  server CPU ${fmt.ms(r.serverCpuMsPerRequest)}/req  RSS ${fmt.mib(r.peakRssMiB)}`,
        );
      }
    }

    const result = { settings: { ...s }, bodies: { restBytes, graphqlBytes: gqlBytes } };
    for (const face of ['rest', 'graphql']) {
      const c = combine(runs[face].chronicle);
      const b = combine(runs[face].baseline);
      result[face] = {
        chronicle: c,
        baseline: b,
        ratio: c.reqPerSec / b.reqPerSec,
        cpuRatio: c.serverCpuMsPerRequest / b.serverCpuMsPerRequest,
      };
    }
    result.targets = {
      'rest ratio': { target: `>= ${TARGET_REST}`, actual: result.rest.ratio, met: result.rest.ratio >= TARGET_REST },
      'rest non-2xx': {
        target: '0',
        actual: result.rest.chronicle.errors,
        met: result.rest.chronicle.errors === 0 && result.rest.baseline.errors === 0,
      },
      'graphql ratio': {
        target: `>= ${TARGET_GRAPHQL}`,
        actual: result.graphql.ratio,
        met: result.graphql.ratio >= TARGET_GRAPHQL,
      },
      'graphql errors': {
        target: '0',
        actual: result.graphql.chronicle.errors,
        met: result.graphql.chronicle.errors === 0 && result.graphql.baseline.errors === 0,
      },
    };

    if (opts.diagnose) result.diagnosis = await diagnose(s, chronicle, result, { express, apollo }, log);
    return result;
  } finally {
    for (const srv of servers) await srv.stop().catch(() => srv.kill());
    rmrf(dataDir);
  }
}

/** Where Chronicle's time goes: in-process pieces, and a profiled window per face beside its baseline's. */
async function diagnose(s, chronicle, result, baselines, log) {
  const out = { profiles: {} };
  const load = { clients: s.clients, warmupMs: s.warmupMs, durationMs: s.durationMs };
  out.micro = (
    await chronicle.server.ask('micro-reads', 'micro', {
      token: chronicle.token,
      userId: chronicle.adminId,
      n: s.durationMs >= 8000 ? 3000 : 1000,
    })
  ).micro;
  log(`[reads:diagnose] in-process costs measured (${Object.keys(out.micro).length} pieces)`);
  const profDir = tmpDir('reads-prof');
  try {
    for (const [face, request, ok, baseline] of [
      ['rest', restRequest, restOk, baselines.express],
      ['graphql', graphqlRequest, graphqlOk, baselines.apollo],
    ]) {
      const profiled = {};
      for (const [who, server] of [
        ['baseline', baseline],
        ['chronicle', chronicle.server],
      ]) {
        const file = path.join(profDir, `${face}-${who}.cpuprofile`);
        const r = await loadWithServerStats(server, {
          ...load,
          request: request(chronicle.token),
          ok,
          profileFile: file,
        });
        profiled[who] = {
          reqPerSec: r.reqPerSec,
          requests: r.requests,
          profile: summarizeProfile(file, {
            top: 30,
            inclusive:
              face === 'rest'
                ? ['authenticate', 'verify', 'findOne', 'find', 'count', 'matching', 'json', 'send']
                : ['authenticate', 'verify', 'getComplexity', 'execute', 'find', 'matching', 'completeValue', 'from'],
          }),
        };
      }
      out.profiles[face] = profiled;
      log(
        `[reads:diagnose] profiled ${face} windows: chronicle ${fmt.int(profiled.chronicle.reqPerSec)} req/s, baseline ${fmt.int(profiled.baseline.reqPerSec)} req/s under the profiler`,
      );
    }
  } finally {
    rmrf(profDir);
  }
  return out;
}

/** µs of busy CPU per request by category, Chronicle beside the baseline, largest differences first. */
function profileDiff(c, b) {
  const per = (p) =>
    new Map(p.profile.categories.filter((x) => x.name !== '(idle)').map((x) => [x.name, (x.ms * 1000) / p.requests]));
  const cm = per(c);
  const bm = per(b);
  const names = [...new Set([...cm.keys(), ...bm.keys()])];
  const rows = names.map((n) => [n, cm.get(n) ?? 0, bm.get(n) ?? 0]).sort((x, y) => y[1] - y[2] - (x[1] - x[2]));
  const total = (m) => [...m.values()].reduce((a, v) => a + v, 0);
  const out = [['category', 'chronicle µs/req', 'baseline µs/req', 'difference']];
  for (const [n, cv, bv] of rows.slice(0, 18))
    out.push([n, cv.toFixed(0), bv.toFixed(0), (cv - bv >= 0 ? '+' : '') + (cv - bv).toFixed(0)]);
  const rest = rows.slice(18).reduce((a, [, cv, bv]) => a + cv - bv, 0);
  out.push(['(everything else)', '', '', (rest >= 0 ? '+' : '') + rest.toFixed(0)]);
  out.push([
    'total busy',
    total(cm).toFixed(0),
    total(bm).toFixed(0),
    (total(cm) - total(bm) >= 0 ? '+' : '') + (total(cm) - total(bm)).toFixed(0),
  ]);
  return table(out);
}

function report(r) {
  const lines = [];
  const st = r.settings;
  const row = (name, x) => [
    name,
    fmt.int(x.reqPerSec),
    fmt.ms(x.latencyMs.p50),
    fmt.ms(x.latencyMs.p99),
    `${x.errors} ${JSON.stringify(x.statuses)}`,
    `${x.serverCpuCores?.toFixed(2)} cores`,
    fmt.ms(x.serverCpuMsPerRequest),
    fmt.mib(x.peakRssMiB),
  ];
  const head = ['', 'req/s', 'p50', 'p99', 'non-2xx/errors', 'server CPU', 'CPU/req', 'peak RSS'];
  const titles = {
    rest: `(d) REST GET /api/workspaces/ (${st.workspaces} items, ${fmt.int(r.bodies.restBytes)} B), ${st.clients} clients, ${st.durationMs / 1000} s window after ${st.warmupMs / 1000} s warm-up${st.rounds > 1 ? `, mean of ${st.rounds} rounds` : ''}`,
    graphql: `(d) GraphQL POST /graphql ${GRAPHQL_QUERY} (${fmt.int(r.bodies.graphqlBytes)} B), same load`,
  };
  const names = { rest: 'bare Express 5', graphql: 'bare Apollo 5' };
  for (const face of ['rest', 'graphql']) {
    const x = r[face];
    lines.push(titles[face]);
    lines.push(
      table([
        head,
        row('chronicle', x.chronicle),
        row(names[face], x.baseline),
        [
          'ratio',
          fmt.ratio(x.ratio),
          fmt.ratio(x.chronicle.latencyMs.p50 / x.baseline.latencyMs.p50),
          fmt.ratio(x.chronicle.latencyMs.p99 / x.baseline.latencyMs.p99),
          '',
          '',
          fmt.ratio(x.cpuRatio),
          fmt.ratio(x.chronicle.peakRssMiB / x.baseline.peakRssMiB),
        ],
      ]).replace(/^/gm, '  '),
    );
    if (st.rounds > 1) {
      lines.push(
        `  rounds (req/s): chronicle ${x.chronicle.rounds.map((q) => fmt.int(q.reqPerSec)).join(' / ')}; baseline ${x.baseline.rounds.map((q) => fmt.int(q.reqPerSec)).join(' / ')}`,
      );
    }
  }
  for (const [k, t] of Object.entries(r.targets)) {
    lines.push(
      `  target ${k.padEnd(15)} ${t.target.padEnd(7)} actual ${typeof t.actual === 'number' && !Number.isInteger(t.actual) ? t.actual.toFixed(3) : t.actual}  ${t.met ? 'MET' : 'MISSED'}`,
    );
  }
  if (r.diagnosis) {
    lines.push('');
    lines.push(
      '  diagnose: pieces of a list read timed inside the Chronicle process, no HTTP (µs per call, best of 3)',
    );
    lines.push(
      table(Object.entries(r.diagnosis.micro).map(([k, us]) => [k, `${us.toFixed(1)} µs`])).replace(/^/gm, '    '),
    );
    for (const [face, p] of Object.entries(r.diagnosis.profiles)) {
      lines.push('');
      lines.push(
        `  diagnose: ${face} — server CPU per request by package/file, from CPU profiles of one window each (Chronicle ${fmt.int(p.chronicle.reqPerSec)} req/s, baseline ${fmt.int(p.baseline.reqPerSec)} req/s under the profiler)`,
      );
      lines.push(profileDiff(p.chronicle, p.baseline).replace(/^/gm, '    '));
      lines.push(`  diagnose: ${face} — Chronicle's profile`);
      lines.push(formatProfile(p.chronicle.profile, { cats: 16, fns: 25 }).replace(/^/gm, '    '));
    }
  }
  return lines.join('\n');
}

module.exports = { runReads, report, settings };

if (require.main === module) require('./lib/common.js').runAsMain(runReads, report, { environment });
