'use strict';
/**
 * (e) Subscription fan-out: SUBSCRIBERS graphql-ws subscriptions to `workspaceEvents(slug)` of one
 * workspace, held as its members by one or two client processes (api/subscribers.js, raw protocol
 * over `ws`), then UPDATES `PATCH /api/workspaces/{slug}/ {"top_n": n}` sent at RATE per second.
 *
 * For each update t0 = when its PATCH response arrived; for each (subscriber, update) the delivery
 * latency is the arrival of that update's frame minus t0 (process.hrtime, CLOCK_MONOTONIC: the same
 * clock in every process). Frames are matched to updates by the event `position` they carry
 * (Chronicle: read back from the workspace's stream; baseline: answered by its publish endpoint),
 * so every subscriber is checked for every update: missing, duplicated, unexpected frames.
 *
 * Baseline, same run, same subscriber processes' code, same counts and rate: api/ws-baseline.js,
 * graphql-ws `useServer` + a tiny schema + in-memory pub/sub, published through POST /publish.
 *
 * Set-up: admin, WORKSPACES workspaces, MEMBERS default users registered, logged in and added to the
 * first workspace (subscriber i connects as member i % MEMBERS). Registration uses the set-up patch
 * `setup-cheap-argon2` (api/patches.js): argon2 at 1 MiB / 1 pass, so a thousand members take
 * seconds; hashing is on no measured path.
 *
 * Before the measured updates, warm-up updates are sent until every subscriber has received one
 * (which also proves every subscription is live), then the counters are reset.
 *
 *   node bench/fanout.js [--quick] [--diagnose] [--patches=a,b] [--subscribers=N] [--members=N]
 *                        [--updates=N] [--rate=N] [--client-procs=N] [--timeline] [--json out.json]
 *
 * Every report lists each update's last frame and answer time, and the slowest updates; --timeline also
 * preloads lib/stall-observer.js into both servers (GC pauses, event-loop stalls) and lines them up.
 */
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { tmpDir, rmrf, rssSampler, procCpuSeconds, summarize, sleep, fmt, table } = require('./lib/common.js');
const { summarizeProfile, formatProfile } = require('./lib/cpuprofile.js');
const { startChild, json, bearer, seedAdmin, seedWorkspaces, seedMembers, environment } = require('./api/setup.js');

const TARGET_P99_RATIO = 1;
const SUBSCRIPTION = `subscription ($slug: String!) {
  workspaceEvents(slug: $slug) { type position occurredAt workspace { id slug name chatMode topN userCount documentCount createdAt } }
}`;
const WORKSPACE_QUERY =
  'query ($slug: String!) { workspace(slug: $slug) { id slug name chatMode topN userCount documentCount createdAt } }';

function settings(f) {
  const base = f.quick
    ? { subscribers: 200, members: 100, updates: 20, rate: 10, clientProcs: 1, workspaces: 20 }
    : { subscribers: 1000, members: 1000, updates: 100, rate: 10, clientProcs: 2, workspaces: 20 };
  const n = (k, flag) => (f[flag] !== undefined ? Number(f[flag]) : base[k]);
  return {
    subscribers: n('subscribers', 'subscribers'),
    members: n('members', 'members'),
    updates: Math.min(100, n('updates', 'updates')), // top_n takes 100 distinct values: one per update
    rate: n('rate', 'rate'),
    clientProcs: n('clientProcs', 'client-procs'),
    workspaces: base.workspaces,
    timeline: Boolean(f.timeline),
  };
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** With --timeline both servers get the same preloaded observer (GC, event-loop stalls): see lib/stall-observer.js. */
const observed = (s) => (s.timeline ? ['--require', path.join(__dirname, 'lib', 'stall-observer.js')] : []);

/** The subscriber processes: `tokens` spread over `procs` children, connected and subscribed. */
async function startSubscribers(wsUrl, tokens, procs, slug, log) {
  const children = [];
  try {
    for (let p = 0; p < procs; p++) children.push(await startChild('subscribers.js', { label: 'subscribers' }));
    const shares = children.map((_, p) => tokens.filter((_, i) => i % procs === p));
    const t0 = Date.now();
    const answers = await Promise.all(
      children.map((c, p) =>
        c.ask(
          'connect',
          'connected',
          {
            url: wsUrl,
            tokens: shares[p],
            query: SUBSCRIPTION,
            variables: { slug },
            concurrency: 25,
          },
          300_000,
        ),
      ),
    );
    const connected = answers.reduce((a, x) => a + x.connected, 0);
    const failed = answers.reduce((a, x) => a + x.failed, 0);
    log(
      `[fanout]   ${connected} subscribers connected in ${((Date.now() - t0) / 1000).toFixed(1)} s over ${procs} process(es)${failed ? `, ${failed} FAILED: ${JSON.stringify(answers.flatMap((x) => x.errors)).slice(0, 400)}` : ''}`,
    );
    if (failed) throw new Error(`${failed} subscribers failed to connect`);
    return {
      children,
      /** Frames received since the last reset, and the fewest any one subscriber got. */
      async count() {
        const xs = await Promise.all(children.map((c) => c.ask('count', 'count')));
        return { total: xs.reduce((a, x) => a + x.count, 0), min: Math.min(...xs.map((x) => x.perConnectionMin)) };
      },
      reset: () => Promise.all(children.map((c) => c.ask('reset', 'reset'))),
      /** Every frame as [subscriber (global index), position, arrival ms]. */
      async collect() {
        const xs = await Promise.all(children.map((c) => c.ask('collect', 'frames', {}, 120_000)));
        const frames = [];
        xs.forEach((x, p) => {
          for (const [i, pos, at] of x.frames) frames.push([i * procs + p, pos, at]);
        });
        return {
          frames,
          errors: xs.flatMap((x) => x.errors),
          errorCount: xs.reduce((a, x) => a + x.errorCount, 0),
          closed: xs.reduce((a, x) => a + x.closed, 0),
        };
      },
      /** CPU seconds the subscriber processes have used so far (the load generator's own cost). */
      cpuSeconds: () => children.reduce((a, c) => a + (procCpuSeconds(c.pid) ?? 0), 0),
      stop: () => Promise.all(children.map((c) => c.stop().catch(() => c.kill()))),
    };
  } catch (err) {
    for (const c of children) c.kill();
    throw err;
  }
}

/** Waits until the total frame count reaches `expected`, or stops growing for `quietMs`. */
async function settle(subs, expected, { quietMs = 3000, maxMs = 60_000 } = {}) {
  const start = Date.now();
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const { total, min } = await subs.count();
    if (total >= expected) return { total, min, complete: true };
    if (total !== last) {
      last = total;
      lastChange = Date.now();
    } else if (Date.now() - lastChange >= quietMs || Date.now() - start >= maxMs) {
      return { total, min, complete: false };
    }
    await sleep(100);
  }
}

/**
 * Warm-up updates until every subscriber has received at least one (each subscription is live),
 * then quiet, then the counters are reset. Answers the last top_n value sent.
 */
async function prime(subs, send) {
  let value = 1;
  for (let attempt = 1; attempt <= 40; attempt++) {
    value = (value % 100) + 1;
    await send(value);
    const deadline = Date.now() + 2000;
    let c;
    do {
      await sleep(100);
      c = await subs.count();
    } while (c.min < 1 && Date.now() < deadline);
    if (c.min >= 1 && attempt >= 3) {
      await sleep(1000);
      await subs.reset();
      return value;
    }
  }
  const c = await subs.count();
  throw new Error(
    `warm-up: after 40 updates some subscriber has received nothing (fewest frames ${c.min}, total ${c.total})`,
  );
}

/**
 * The measured phase: `updates` sends at `rate`/s on a fixed schedule (a slow one does not delay the
 * next), each send answering {status, position?}; t0 = arrival of the answer. Server CPU and RSS over
 * the phase, from the first send until every frame arrived (or stopped arriving).
 */
async function measure(server, subs, s, send, firstValue, log, { profileFile = null } = {}) {
  const expected = s.subscribers * s.updates;
  const values = Array.from({ length: s.updates }, (_, k) => ((firstValue + k - 1) % 100) + 1);
  const acks = new Array(s.updates);
  const interval = 1000 / s.rate;
  if (profileFile) await server.ask('profile-start', 'profiling');
  const rss = rssSampler(server.pid, 50);
  const cpu0 = procCpuSeconds(server.pid);
  const clientCpu0 = subs.cpuSeconds();
  const started = performance.now() + 50;
  const startedHr = nowMs() + 50;
  const sends = [];
  for (let k = 0; k < s.updates; k++) {
    const wait = started + k * interval - performance.now();
    if (wait > 0) await sleep(wait);
    const sentAt = nowMs();
    sends.push(
      send(values[k]).then((r) => {
        const at = nowMs();
        acks[k] = {
          k,
          value: values[k],
          sentAt,
          t0: at,
          ackMs: at - sentAt,
          status: r.status,
          position: r.position ?? null,
          body: r.status >= 300 ? r.text : undefined,
        };
      }),
    );
  }
  await Promise.all(sends);
  const sendSeconds = (performance.now() - started) / 1000;
  const settled = await settle(subs, expected);
  const cpu1 = procCpuSeconds(server.pid);
  const clientCpuSeconds = subs.cpuSeconds() - clientCpu0;
  const wallSeconds = (performance.now() - started) / 1000;
  const mem = rss.stop();
  if (profileFile) await server.ask('profile-stop', 'profiled', { file: profileFile });
  const timeline = s.timeline ? (await server.ask('timeline', 'timeline', { since: startedHr - 1000 })).timeline : null;
  const collected = await subs.collect();
  return {
    acks,
    values,
    collected,
    settled,
    sendSeconds,
    wallSeconds,
    startedHr,
    timeline,
    serverCpuSeconds: cpu1 - cpu0,
    clientCpuSeconds,
    peakRssMiB: mem.peakSampledMiB,
    hwmMiB: mem.hwmMiB,
  };
}

/** Latency over every (subscriber, update) pair, and exactly-once accounting. */
function analyse(s, run, positionOf) {
  const kOfPosition = new Map();
  for (const a of run.acks) {
    const pos = positionOf(a);
    if (pos !== null && pos !== undefined) kOfPosition.set(pos, a.k);
  }
  const seen = new Uint8Array(s.subscribers * s.updates);
  const latencies = [];
  const fromSend = [];
  const perUpdateLast = new Array(s.updates).fill(-Infinity);
  const perUpdate = Array.from({ length: s.updates }, () => []);
  let duplicates = 0;
  let unexpected = 0;
  let negative = 0;
  for (const [sub, pos, at] of run.collected.frames) {
    const k = kOfPosition.get(pos);
    if (k === undefined) {
      unexpected++;
      continue;
    }
    const key = sub * s.updates + k;
    if (seen[key]) {
      duplicates++;
      continue;
    }
    seen[key] = 1;
    const ms = at - run.acks[k].t0;
    if (ms < 0) negative++;
    latencies.push(ms);
    fromSend.push(at - run.acks[k].sentAt);
    if (ms > perUpdateLast[k]) perUpdateLast[k] = ms;
    perUpdate[k].push(ms);
  }
  const received = latencies.length;
  const expected = s.subscribers * s.updates;
  const subscribersMissingSome = new Set();
  for (let i = 0; i < seen.length; i++) if (!seen[i]) subscribersMissingSome.add(Math.floor(i / s.updates));
  const sorted = Float64Array.from(latencies).sort();
  const p99 = summarize(sorted).p99;
  // Each update: when it was sent (ms after the first send), its answer, its frames' latencies from t0, and
  // how many of its frames are at or over the run's p99 (which updates make the tail).
  const framesOut = new Map((run.timeline?.frames ?? []).map(([pos, first, last, n]) => [pos, { first, last, n }]));
  const answersOut = (run.timeline?.answers ?? []).filter(([at]) => at >= run.startedHr - 1).map(([at]) => at);
  const updates = run.acks.map((a, k) => {
    const xs = Float64Array.from(perUpdate[k]).sort();
    const out = framesOut.get(positionOf(a));
    const q = (f) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(f * xs.length))] : NaN);
    return {
      k,
      sentMs: a.sentAt - run.startedHr,
      t0Ms: a.t0 - run.startedHr,
      ackMs: a.ackMs,
      firstMs: xs.length ? xs[0] : NaN,
      p50Ms: q(0.5),
      lastMs: xs.length ? xs[xs.length - 1] : NaN,
      frames: xs.length,
      atOrOverP99: xs.filter((x) => x >= p99).length,
      // Server side (--timeline), ms after t0: the k-th non-GET answer ended, its first and last frame sent.
      ...(run.timeline
        ? {
            srvAnswerMs: (answersOut[k] ?? NaN) - a.t0,
            srvFirstMs: out ? out.first - a.t0 : NaN,
            srvLastMs: out ? out.last - a.t0 : NaN,
            srvFrames: out?.n ?? 0,
          }
        : {}),
    };
  });
  return {
    expected,
    received,
    missing: expected - received,
    duplicates,
    unexpected,
    subscribersMissingSome: subscribersMissingSome.size,
    unmappedUpdates: run.acks.filter((a) => positionOf(a) === null || positionOf(a) === undefined).length,
    latencyMs: { ...summarize(sorted), min: sorted.length ? sorted[0] : NaN, negative },
    lastDeliveryPerUpdateMs: summarize(perUpdateLast.filter(Number.isFinite)),
    // From the moment the update was sent: shows the backlog when the server cannot keep up with the rate.
    fromSendMs: summarize(fromSend),
    ackMs: summarize(run.acks.map((a) => a.ackMs)),
    ackErrors: run.acks.filter((a) => a.status < 200 || a.status >= 300).length,
    ackErrorSamples: run.acks
      .filter((a) => a.status < 200 || a.status >= 300)
      .slice(0, 3)
      .map((a) => `${a.status} ${String(a.body).slice(0, 200)}`),
    serverCpuSeconds: run.serverCpuSeconds,
    serverCpuMsPerUpdate: (run.serverCpuSeconds * 1000) / s.updates,
    subscriberProcsCpuSeconds: run.clientCpuSeconds,
    peakRssMiB: run.peakRssMiB,
    sendSeconds: run.sendSeconds,
    wallSeconds: run.wallSeconds,
    settledComplete: run.settled.complete,
    clientErrors: run.collected.errorCount,
    clientErrorSamples: run.collected.errors.slice(0, 5),
    closedUnexpectedly: run.collected.closed,
    updates,
    timeline: run.timeline && relativeTimeline(run.timeline, run.startedHr),
  };
}

/** Chronicle: seeded, subscribed, primed, measured; the update positions come from the workspace's stream. */
async function runChronicle(s, log, { profileFile = null, trace = false } = {}) {
  const server = await startChild('../lib/chronicle-server.js', {
    label: 'chronicle',
    execArgv: observed(s),
    env: { CHRONICLE_BENCH_CHEAP_ARGON2: '1', CHRONICLE_BENCH_TRACE: trace ? '1' : '0' },
  });
  let subs = null;
  try {
    const t0 = Date.now();
    const { token } = await seedAdmin(server.url);
    const [ws] = await seedWorkspaces(server.url, token, s.workspaces);
    const members = await seedMembers(server.url, token, ws.slug, s.members, {
      concurrency: 4,
      onProgress: (n) => n % 250 === 0 && log(`[fanout]   ${n}/${s.members} members registered`),
    });
    const snapshot = await json(
      server.url,
      'POST',
      '/graphql',
      { query: WORKSPACE_QUERY, variables: { slug: ws.slug } },
      bearer(token),
    );
    if (snapshot.status !== 200 || !snapshot.body?.data?.workspace)
      throw new Error(`workspace query: ${snapshot.status} ${snapshot.text.slice(0, 200)}`);
    log(
      `[fanout] chronicle seeded (admin, ${s.workspaces} workspaces, ${s.members} members of ${ws.slug}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );

    const tokens = Array.from({ length: s.subscribers }, (_, i) => members[i % members.length].token);
    subs = await startSubscribers(`${server.url.replace(/^http/, 'ws')}/graphql`, tokens, s.clientProcs, ws.slug, log);

    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` };
    const send = (value) =>
      new Promise((resolve) => {
        const body = JSON.stringify({ top_n: value });
        const req = http.request(
          `${server.url}/api/workspaces/${ws.slug}/`,
          { method: 'PATCH', agent, headers: { ...headers, 'Content-Length': Buffer.byteLength(body) } },
          (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
          },
        );
        req.on('error', (err) => resolve({ status: 0, text: err.message }));
        req.end(body);
      });
    const last = await prime(subs, async (v) => {
      const r = await send(v);
      if (r.status !== 200) throw new Error(`warm-up PATCH: ${r.status} ${r.text.slice(0, 200)}`);
    });
    if (trace) await server.ask('reset', 'reset');
    const run = await measure(server, subs, s, send, (last % 100) + 1, log, { profileFile });
    agent.destroy();

    // The measured updates' events: the stream's last `updates` WorkspaceUpdated, matched by top_n.
    const { events } = await server.ask('stream', 'events', { name: `workspace-${ws.id}` });
    const updated = events.filter((e) => e.type === 'WorkspaceUpdated').slice(-s.updates);
    const positionOfValue = new Map(updated.map((e) => [e.data.changes?.topN, e.position]));
    const analysis = analyse(s, run, (a) => positionOfValue.get(a.value) ?? null);
    analysis.trace = trace ? (await server.ask('stats', 'stats')).stats.stages : undefined;
    await subs.stop();
    subs = null;
    const life = await server.stop();
    analysis.hwmMiB = life?.hwmMiB ?? null;
    return { analysis, workspace: snapshot.body.data.workspace, slug: ws.slug };
  } catch (err) {
    if (subs) await subs.stop();
    server.kill();
    throw err;
  }
}

/** The bare graphql-ws server: same subscribers, same payload shape, publishes on POST /publish. */
async function runBaseline(s, log, workspace, slug) {
  const dir = tmpDir('fanout-data');
  const file = path.join(dir, 'workspace.json');
  fs.writeFileSync(file, JSON.stringify(workspace));
  const server = await startChild('ws-baseline.js', { args: [file], label: 'ws-baseline', execArgv: observed(s) });
  let subs = null;
  try {
    const tokens = Array.from({ length: s.subscribers }, () => 'baseline-takes-any-token');
    subs = await startSubscribers(`${server.url.replace(/^http/, 'ws')}/graphql`, tokens, s.clientProcs, slug, log);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const send = (value) =>
      new Promise((resolve) => {
        const body = JSON.stringify({ slug, topN: value });
        const req = http.request(
          `${server.url}/publish`,
          {
            method: 'POST',
            agent,
            headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
          },
          (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let position = null;
              try {
                position = JSON.parse(text).position;
              } catch {
                // left null: counted as unmapped
              }
              resolve({ status: res.statusCode, text, position });
            });
          },
        );
        req.on('error', (err) => resolve({ status: 0, text: err.message }));
        req.end(body);
      });
    const last = await prime(subs, (v) => send(v));
    const run = await measure(server, subs, s, send, (last % 100) + 1, log);
    agent.destroy();
    const analysis = analyse(s, run, (a) => a.position);
    await subs.stop();
    subs = null;
    const life = await server.stop();
    analysis.hwmMiB = life?.hwmMiB ?? null;
    return { analysis };
  } catch (err) {
    if (subs) await subs.stop();
    server.kill();
    throw err;
  } finally {
    rmrf(dir);
  }
}

/** The observer's events in ms after the first send (negative: before it). */
function relativeTimeline(t, startedHr) {
  return {
    eld: t.eld,
    frames: t.frames.length,
    gc: t.gc.map(([at, ms, kind]) => ({ atMs: at - startedHr, ms, kind })),
    stalls: t.stalls.map(([at, ms]) => ({ atMs: at - startedHr, ms })),
  };
}

/**
 * The slowest updates (by their last frame) and what the server's main thread went through between each
 * one's send and its last frame: GC pauses and event-loop stalls (--timeline).
 */
function perUpdateReport(name, a, worst = 8) {
  const lines = [];
  const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-');
  lines.push(
    `  ${name}, last frame per update (ms after its answer), in send order: ${a.updates.map((u) => f0(u.lastMs)).join(' ')}`,
  );
  lines.push(`  ${name}, answer (ack) per update (ms): ${a.updates.map((u) => f0(u.ackMs)).join(' ')}`);
  if (a.timeline) {
    lines.push(
      `  ${name}, server: first frame sent per update (ms after t0): ${a.updates.map((u) => f0(u.srvFirstMs)).join(' ')}`,
    );
    lines.push(
      `  ${name}, server: last frame sent per update (ms after t0): ${a.updates.map((u) => f0(u.srvLastMs)).join(' ')}`,
    );
  }
  const tl = a.timeline;
  if (tl) {
    const sum = (xs) => xs.reduce((x, y) => x + y, 0);
    const inPhase = (e) => e.atMs >= -50;
    const gcs = tl.gc.filter(inPhase);
    const byKind = {};
    for (const g of gcs) {
      const b = (byKind[g.kind] ??= { n: 0, ms: 0, max: 0 });
      b.n++;
      b.ms += g.ms;
      b.max = Math.max(b.max, g.ms);
    }
    const stalls = tl.stalls.filter(inPhase);
    lines.push(
      `  ${name}, over the phase: GC ${
        Object.entries(byKind)
          .map(([k, b]) => `${k} ${b.n}x ${b.ms.toFixed(0)} ms (max ${b.ms && b.max.toFixed(1)})`)
          .join(', ') || 'none'
      }; event-loop stalls > 15 ms: ${stalls.length}, ${sum(stalls.map((x) => x.ms)).toFixed(0)} ms, max ${f0(Math.max(0, ...stalls.map((x) => x.ms)))}; loop delay p50 ${tl.eld.p50.toFixed(1)} p99 ${tl.eld.p99.toFixed(1)} max ${tl.eld.max.toFixed(1)} ms (whole process life)`,
    );
  }
  const rows = [
    [
      'update',
      'sent at',
      'ack',
      'first',
      'p50',
      'last',
      'frames >= p99',
      ...(tl ? ['server: answer', 'first sent', 'last sent', 'GC in window (ms: kind)', 'stalls in window (ms)'] : []),
    ],
  ];
  for (const u of [...a.updates].sort((x, y) => y.lastMs - x.lastMs).slice(0, worst)) {
    const from = u.sentMs;
    const to = u.t0Ms + u.lastMs;
    const within = (e) => e.atMs < to && e.atMs + e.ms > from;
    rows.push([
      `#${u.k}`,
      `${f0(u.sentMs)} ms`,
      f0(u.ackMs),
      f0(u.firstMs),
      f0(u.p50Ms),
      f0(u.lastMs),
      u.atOrOverP99,
      ...(tl
        ? [
            f0(u.srvAnswerMs),
            f0(u.srvFirstMs),
            f0(u.srvLastMs),
            tl.gc
              .filter(within)
              .filter((g) => g.ms >= 1)
              .map((g) => `${g.ms.toFixed(0)}:${g.kind[0]}@${f0(g.atMs)}`)
              .join(' ') || '-',
            tl.stalls
              .filter(within)
              .map((x) => `${f0(x.ms)}@${f0(x.atMs)}`)
              .join(' ') || '-',
          ]
        : []),
    ]);
  }
  lines.push(`  ${name}, slowest ${worst} updates (ms; "@" = ms after the first send):`);
  lines.push(table(rows).replace(/^/gm, '    '));
  return lines;
}

function line(name, a) {
  return `[fanout] ${name}: delivery p50 ${fmt.ms(a.latencyMs.p50)}, p99 ${fmt.ms(a.latencyMs.p99)}, max ${fmt.ms(a.latencyMs.max)}; received ${fmt.int(a.received)}/${fmt.int(a.expected)}, missing ${a.missing}, duplicated ${a.duplicates}, unexpected ${a.unexpected}; ack p50 ${fmt.ms(a.ackMs.p50)}; server CPU ${a.serverCpuSeconds.toFixed(2)} s; peak RSS ${fmt.mib(a.peakRssMiB)}`;
}

async function runFanout(opts = {}) {
  const s = settings(opts);
  const log = opts.log ?? console.log;
  log(
    `[fanout] ${s.subscribers} subscribers (${s.members} members) in ${s.clientProcs} client process(es), ${s.updates} updates at ${s.rate}/s`,
  );
  const chronicle = await runChronicle(s, log);
  log(line('chronicle', chronicle.analysis));
  const baseline = await runBaseline(s, log, chronicle.workspace, chronicle.slug);
  log(line('baseline ', baseline.analysis));
  const c = chronicle.analysis;
  const b = baseline.analysis;
  const p99Ratio = c.latencyMs.p99 / b.latencyMs.p99;
  const result = {
    settings: { ...s },
    chronicle: c,
    baseline: b,
    p99Ratio,
    p50Ratio: c.latencyMs.p50 / b.latencyMs.p50,
    targets: {
      'every update to every subscriber': {
        target: '0 missing, 0 dup',
        actual: `${c.missing} missing, ${c.duplicates} dup`,
        met: c.missing === 0 && c.duplicates === 0 && c.ackErrors === 0,
      },
      'p99 ratio': { target: `<= ${TARGET_P99_RATIO}`, actual: p99Ratio, met: p99Ratio <= TARGET_P99_RATIO },
    },
  };
  if (opts.diagnose) result.diagnosis = await diagnose(s, log);
  return result;
}

/** A profiled run and a traced run, each a full Chronicle run. */
async function diagnose(s, log) {
  const out = {};
  const profDir = tmpDir('fanout-prof');
  try {
    const file = path.join(profDir, 'fanout.cpuprofile');
    const profiled = await runChronicle(s, log, { profileFile: file });
    out.profile = {
      analysis: profiled.analysis,
      profile: summarizeProfile(file, {
        top: 30,
        inclusive: [
          'noticeStream',
          'toPayload',
          'workspaceAfter',
          'seenBy',
          'findOne',
          'matching',
          'from',
          'execute',
          'executeSubscriptionEvent',
          'mapSourceToResponse',
          'subscribe',
          'onNext',
          'formatError',
          'createLoaders',
          'send',
          'sendFrame',
          'stringify',
          'publish',
          'handleBatch',
          'flushNow',
        ],
      }),
    };
    log(`[fanout:diagnose] profiled: ${line('chronicle', profiled.analysis)}`);
  } finally {
    rmrf(profDir);
  }
  const traced = await runChronicle(s, log, { trace: true });
  out.trace = traced.analysis;
  log(`[fanout:diagnose] traced: ${line('chronicle', traced.analysis)}`);
  return out;
}

function report(r) {
  const st = r.settings;
  const lines = [];
  lines.push(
    `(e) Subscription fan-out — ${fmt.int(st.subscribers)} graphql-ws subscribers of workspaceEvents(slug) (${fmt.int(st.members)} distinct members), ${st.updates} PATCH /api/workspaces/{slug}/ at ${st.rate}/s; latency = frame arrival − PATCH response arrival, over every (subscriber, update)`,
  );
  const row = (name, a) => [
    name,
    fmt.ms(a.latencyMs.p50),
    fmt.ms(a.latencyMs.p90),
    fmt.ms(a.latencyMs.p99),
    fmt.ms(a.latencyMs.max),
    fmt.ms(a.lastDeliveryPerUpdateMs.p50),
    `${fmt.int(a.received)}/${fmt.int(a.expected)}`,
    a.missing,
    a.duplicates,
    a.unexpected,
    fmt.ms(a.ackMs.p50),
    fmt.ms(a.ackMs.p99),
    `${a.serverCpuSeconds.toFixed(2)} s`,
    fmt.mib(a.peakRssMiB),
  ];
  lines.push(
    table([
      [
        '',
        'p50',
        'p90',
        'p99',
        'max',
        'last frame/update p50',
        'received',
        'missing',
        'dup',
        'unexpected',
        'ack p50',
        'ack p99',
        'server CPU',
        'peak RSS',
      ],
      row('chronicle', r.chronicle),
      row('bare graphql-ws', r.baseline),
      [
        'ratio',
        fmt.ratio(r.p50Ratio),
        fmt.ratio(r.chronicle.latencyMs.p90 / r.baseline.latencyMs.p90),
        fmt.ratio(r.p99Ratio),
        '',
        fmt.ratio(r.chronicle.lastDeliveryPerUpdateMs.p50 / r.baseline.lastDeliveryPerUpdateMs.p50),
        '',
        '',
        '',
        '',
        fmt.ratio(r.chronicle.ackMs.p50 / r.baseline.ackMs.p50),
        '',
        fmt.ratio(r.chronicle.serverCpuSeconds / r.baseline.serverCpuSeconds),
        fmt.ratio(r.chronicle.peakRssMiB / r.baseline.peakRssMiB),
      ],
    ]).replace(/^/gm, '  '),
  );
  for (const [name, a] of [
    ['chronicle', r.chronicle],
    ['baseline', r.baseline],
  ]) {
    const notes = [];
    if (a.latencyMs.negative)
      notes.push(
        `${a.latencyMs.negative} frames arrived before their PATCH/publish response (min ${fmt.ms(a.latencyMs.min)})`,
      );
    if (a.ackErrors) notes.push(`${a.ackErrors} update requests failed: ${a.ackErrorSamples.join(' | ')}`);
    if (a.unmappedUpdates) notes.push(`${a.unmappedUpdates} updates without a known position`);
    if (a.clientErrors) notes.push(`${a.clientErrors} client errors: ${a.clientErrorSamples.join(' | ')}`);
    if (a.closedUnexpectedly) notes.push(`${a.closedUnexpectedly} sockets closed`);
    if (!a.settledComplete) notes.push('frames stopped arriving before all were received');
    if (a.subscribersMissingSome) notes.push(`${a.subscribersMissingSome} subscribers missed at least one update`);
    if (notes.length) lines.push(`  ${name}: ${notes.join('; ')}`);
  }
  lines.push(
    `  latency from the update's send instead of its response: chronicle p50 ${fmt.ms(r.chronicle.fromSendMs.p50)} p99 ${fmt.ms(r.chronicle.fromSendMs.p99)}; baseline p50 ${fmt.ms(r.baseline.fromSendMs.p50)} p99 ${fmt.ms(r.baseline.fromSendMs.p99)}`,
  );
  lines.push(
    `  server CPU per update: chronicle ${fmt.ms(r.chronicle.serverCpuMsPerUpdate)}, baseline ${fmt.ms(r.baseline.serverCpuMsPerUpdate)} (whole phase, ${r.chronicle.wallSeconds.toFixed(1)} s / ${r.baseline.wallSeconds.toFixed(1)} s); subscriber processes' CPU ${r.chronicle.subscriberProcsCpuSeconds.toFixed(1)} s / ${r.baseline.subscriberProcsCpuSeconds.toFixed(1)} s`,
  );
  lines.push(...perUpdateReport('chronicle', r.chronicle), ...perUpdateReport('baseline', r.baseline));
  for (const [k, t] of Object.entries(r.targets)) {
    lines.push(
      `  target ${k.padEnd(33)} ${t.target.padEnd(17)} actual ${typeof t.actual === 'number' ? t.actual.toFixed(3) : t.actual}  ${t.met ? 'MET' : 'MISSED'}`,
    );
  }
  if (r.diagnosis) {
    const d = r.diagnosis;
    lines.push('');
    lines.push(
      `  diagnose: CPU profile of Chronicle over the measured phase (${fmt.ms(d.profile.analysis.latencyMs.p99)} p99 under the profiler)`,
    );
    lines.push(formatProfile(d.profile.profile, { cats: 16, fns: 30 }).replace(/^/gm, '    '));
    if (d.trace?.trace) {
      lines.push(
        `  diagnose: stage timers over the measured phase (the wall timers add promise hops to the PATCH path, which can move its answer relative to the fan-out: compare this run's latencies with care; p99 ${fmt.ms(d.trace.latencyMs.p99)}, server CPU ${fmt.ms(d.trace.serverCpuMsPerUpdate)}/update)`,
      );
      const rows = [['stage', 'count', 'total', 'mean', 'max']];
      for (const [k, v] of Object.entries(d.trace.trace).sort((a, b) => b[1].totalMs - a[1].totalMs))
        rows.push([k, v.count, fmt.ms(v.totalMs), fmt.ms(v.meanMs), fmt.ms(v.maxMs)]);
      lines.push(table(rows).replace(/^/gm, '    '));
    }
  }
  return lines.join('\n');
}

module.exports = { runFanout, runChronicle, runBaseline, report, settings };

if (require.main === module) require('./lib/common.js').runAsMain(runFanout, report, { environment });
