'use strict';
/**
 * Agent invocations over the Agent WebSocket: what Chronicle adds to each model turn, and many
 * invocations at once with every frame checked.
 *
 *   node bench/agent.js [--quick] [--iterations=N] [--sockets=10] [--per-socket=10] [--trace] [--diagnose] [--json FILE]
 *
 * 1. model (child, agent/provider.js): an OpenAI-compatible endpoint streaming a three-turn agent:
 *    a call of the client's tool get_time, then a call of the server tool search_documents, then the
 *    answer. It times itself per request (arrival → response end) on the monotonic clock.
 * 2. Chronicle (child, the shared lib/chronicle-server.js): LLM_PROVIDER=openai at that model; one
 *    workspace with one uploaded document, ingested, holding the word the search looks for.
 * 3. This process, sequential rounds in rotated order:
 *    - Chronicle: `invoke` over /ws/agent/bench/, `tool_response` to the tool_call at once, until
 *      `invocation_closed`. Each turn is a step; its overhead is the step's time seen here minus the
 *      model's own time for that turn:
 *        step 1  invoke sent → tool_call in
 *        step 2  tool_response sent → the model's third request arrives (includes search_documents)
 *        step 3  that arrival → invocation_closed in
 *    - direct (the baseline): the same three requests written to the same model by a plain HTTP
 *      client (same messages and tools, its tool results fixed strings: it measures only the
 *      transport to the model). Its overhead per step is request written → response end minus the
 *      model's own time.
 *    Added per step = Chronicle's overhead − the baseline's, per percentile.
 * 4. Concurrency: S sockets × K invocations started at once, every client tool call answered as it
 *    comes; every invocation's frames must be exactly, in order: invocation_started, agent_message
 *    (the text of turn 1), tool_call get_time, agent_message naming search_documents, agent_message
 *    final "done <tag> found=yes", invocation_closed completed; and GET /api/agents/invocations/{id}/
 *    must then show the same seven steps (tool calls, their answers, messages) in order. Any frame or
 *    step lost, out of order or wrong makes the bench exit 1.
 *
 * --trace: stage timers inside the server (CHRONICLE_BENCH_TRACE) over the sequential window: where a
 * step's time goes (event appends, the model call, the server tool). --diagnose: those, and a CPU
 * profile of the server over that window, by package and function.
 */
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { fork } = require('node:child_process');
const WebSocket = require('ws');
const { environment } = require('./api/setup.js');
const { summarizeProfile, formatProfile } = require('./lib/cpuprofile.js');
const {
  dist,
  snapshotDist,
  flags,
  tmpDir,
  rmrf,
  summarize,
  nextMessage,
  table,
  procCpuSeconds,
} = require('./lib/common.js');

const opts = flags();
const ITER = Number(opts.iterations || (opts.quick ? 20 : 200));
const WARMUP = opts.quick ? 5 : 20;
const SOCKETS = Number(opts.sockets || 10);
const PER_SOCKET = Number(opts['per-socket'] || 10);
const CONCURRENT_TIMEOUT_MS = 180_000;
const INVOCATION_TIMEOUT_MS = 30_000; // one invocation alone; past it its missing frames count as lost
const MARKER = 'quokka'; // the word only the seeded document holds; the model's search asks for it
const STEPS = 3;
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const round = (v) => (Number.isFinite(v) ? Math.round(v * 1000) / 1000 : v);
const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** Whether `promise` settled within `ms` (the timer does not outlive it). */
async function settledWithin(promise, ms) {
  let timer;
  const late = new Promise((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: Infinity });

async function json(url, method, urlPath, body, headers = {}) {
  const res = await fetch(url + urlPath, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body && JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Admin, workspace "bench" and one ready document holding MARKER; answers the access token. */
async function seed(url) {
  const password = 'Correct-Horse-42';
  await json(url, 'POST', '/api/users/', {
    username: 'bench',
    email: 'bench@example.com',
    password,
    password_confirm: password,
  });
  const { access } = (await json(url, 'POST', '/api/auth/login/', { username: 'bench', password })).body;
  const auth = { Authorization: `Bearer ${access}` };
  const ws = (await json(url, 'POST', '/api/workspaces/', { name: 'Bench' }, auth)).body;
  if (ws.id !== 1 || ws.slug !== 'bench') throw new Error(`expected workspace 1 "bench", got ${JSON.stringify(ws)}`);
  const text = [
    `Refund policy. A delivery returned to the warehouse is refunded within 14 days; the ${MARKER} clause covers parcels the carrier lost.`,
    'Shipping. Orders leave the warehouse within two working days; the carrier confirms each address.',
    'Invoices. Every invoice names the order, the customer account and the payment method.',
  ].join('\n\n');
  const form = new FormData();
  form.set('workspace_id', '1');
  form.set('file', new Blob([text]), 'policy.txt');
  const res = await fetch(`${url}/api/documents/upload/`, { method: 'POST', headers: auth, body: form });
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
  for (;;) {
    const docs = (await json(url, 'GET', '/api/documents/', undefined, auth)).body;
    if (docs.some((d) => d.status === 'failed')) throw new Error('the seeded document failed');
    if (docs.every((d) => d.status === 'ready')) return access;
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- Chronicle: invocations over the Agent WebSocket ----

const CLIENT_TOOLS = [
  {
    name: 'get_time',
    description: 'The current time in a timezone.',
    parameters: { type: 'object', properties: { timezone: { type: 'string' } }, required: ['timezone'] },
  },
];

/** The frames every invocation must send, in this order. */
const EXPECTED = [
  ['invocation_started', () => true],
  ['agent_message', (f) => f.final === false && f.content === 'Checking the clock first.'],
  ['tool_call', (f) => f.name === 'get_time' && f.arguments?.timezone === 'UTC'],
  ['agent_message', (f) => f.final === false && f.content.startsWith('search_documents')],
  ['agent_message', (f, inv) => f.final === true && f.content === `done ${inv.tag} found=yes`],
  ['invocation_closed', (f) => f.reason === 'completed'],
];

/** The steps GET /api/agents/invocations/{id}/ must show for every invocation, in this order. */
const RECORDED = [
  (s) => s.kind === 'message' && !s.final && s.content === 'Checking the clock first.',
  (s) => s.kind === 'tool_call' && s.name === 'get_time' && s.side === 'client',
  (s) => s.kind === 'tool_response' && s.name === 'get_time' && s.error === null,
  (s) => s.kind === 'tool_call' && s.name === 'search_documents' && s.side === 'server',
  (s) => s.kind === 'tool_response' && s.name === 'search_documents' && s.result.includes(MARKER),
  (s) => s.kind === 'message' && !s.final && s.tool === 'search_documents',
  (s, inv) => s.kind === 'message' && s.final && s.content === `done ${inv.tag} found=yes`,
];

/**
 * What is wrong with an invocation as recorded (the audit read model), or null; waits for the read
 * model to show it closed, as a client reading after invocation_closed would.
 */
async function auditProblem(url, access, inv) {
  let view;
  for (let attempt = 0; attempt < 50; attempt++) {
    const res = await json(url, 'GET', `/api/agents/invocations/${inv.id}/`, undefined, {
      Authorization: `Bearer ${access}`,
    });
    view = res.body;
    if (res.status === 200 && view.status === 'closed') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (view?.status !== 'closed') return `not recorded as closed: ${JSON.stringify(view).slice(0, 200)}`;
  if (view.reason !== 'completed' || view.step_count !== STEPS)
    return `reason ${view.reason}, ${view.step_count} steps`;
  if (view.steps.length !== RECORDED.length || !RECORDED.every((check, i) => check(view.steps[i], inv)))
    return `steps ${view.steps.map((s) => `${s.kind}:${s.name ?? s.content}`).join(', ')}`;
  return null;
}

/** Whether `seen` is `all` with some items left out (order kept). */
function isSubsequence(seen, all) {
  let i = 0;
  for (const item of all) if (i < seen.length && seen[i] === item) i++;
  return i === seen.length;
}

/** Answers what is wrong with an invocation's frames (lost, misordered, wrong, extra), or null. */
function problemOf(inv) {
  const types = inv.frames.map((f) => f.type);
  const expected = EXPECTED.map(([type]) => type);
  if (types.length < expected.length) {
    const kind = isSubsequence(types, expected) ? 'lost' : 'misordered';
    return { kind, detail: `${types.length} of ${expected.length} frames: ${types.join(', ')}` };
  }
  if (types.length > expected.length)
    return { kind: 'extra', detail: `${types.length} frames for ${expected.length}: ${types.join(', ')}` };
  for (let i = 0; i < EXPECTED.length; i++) {
    const [type, check] = EXPECTED[i];
    const f = inv.frames[i];
    if (f.type !== type) return { kind: 'misordered', detail: `frame ${i + 1} is ${f.type}, expected ${type}` };
    if (!check(f, inv)) return { kind: 'wrong', detail: `frame ${i + 1} ${JSON.stringify(f)}` };
  }
  return null;
}

/**
 * One open agent socket: invoke() starts an invocation and answers its client tool call as soon as
 * it comes; frames are routed by invocation_id, and anything else is counted as a stray.
 */
function openAgentSocket(url, access) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws/agent/bench/?token=${access}`);
    const invocations = new Map();
    const strays = [];
    ws.on('message', (data) => {
      const t = nowUs();
      const frame = JSON.parse(data.toString());
      const inv = invocations.get(frame.invocation_id);
      if (!inv) return strays.push(frame);
      inv.frames.push(frame);
      if (frame.type === 'tool_call') {
        inv.toolCallUs = t;
        const result = { timezone: frame.arguments.timezone, time: new Date().toISOString() };
        inv.toolResponseUs = nowUs();
        ws.send(JSON.stringify({ type: 'tool_response', invocation_id: inv.id, call_id: frame.call_id, result }));
      } else if (frame.type === 'invocation_closed') {
        inv.closedUs = t;
        inv.resolve(inv);
      }
    });
    ws.once('open', () =>
      resolve({
        ws,
        strays,
        invocations,
        invoke(tag) {
          const inv = { id: randomUUID(), tag, frames: [] };
          inv.closed = new Promise((r) => (inv.resolve = r));
          invocations.set(inv.id, inv);
          inv.invokeUs = nowUs();
          ws.send(
            JSON.stringify({
              type: 'invoke',
              invocation_id: inv.id,
              message: `Run ${tag}: what time is it in UTC, and what is the refund policy?`,
              tools: CLIENT_TOOLS,
            }),
          );
          return inv;
        },
      }),
    );
    ws.once('error', reject);
  });
}

// ---- The baseline: the same three turns straight to the model ----

/** The tools Chronicle offers the model in these invocations (its server tools and get_time), as the model sees them. */
let directTools = null;
const DIRECT_TOOLS = () =>
  (directTools ??= [...dist('commands/agents/server-tools.js').SERVER_TOOLS, ...CLIENT_TOOLS].map((t) => ({
    type: 'function',
    function: t,
  })));

/** One streamed turn: answers {text, calls, writtenUs, endUs}. */
function directTurn(modelUrl, messages) {
  return new Promise((resolve, reject) => {
    const u = new URL(`${modelUrl}/chat/completions`);
    const payload = Buffer.from(
      JSON.stringify({
        model: 'bench',
        stream: true,
        stream_options: { include_usage: true },
        messages,
        tools: DIRECT_TOOLS(),
      }),
    );
    const turn = { text: '', calls: [], writtenUs: nowUs() };
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent: keepAlive,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': payload.length,
          Authorization: 'Bearer bench',
        },
      },
      (res) => {
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          buffer += d;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const line = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
            const delta = JSON.parse(line.slice(6)).choices[0]?.delta;
            if (delta?.content) turn.text += delta.content;
            for (const piece of delta?.tool_calls ?? []) {
              const call = (turn.calls[piece.index] ??= { id: '', name: '', arguments: '' });
              if (piece.id) call.id = piece.id;
              if (piece.function?.name) call.name = piece.function.name;
              if (piece.function?.arguments) call.arguments += piece.function.arguments;
            }
          }
        });
        res.on('end', () => {
          turn.endUs = nowUs();
          resolve(turn);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function directRun(modelUrl, tag) {
  const messages = [
    { role: 'system', content: 'You are a helpful agent. Use the tools when they help.' },
    { role: 'user', content: `Run ${tag}: what time is it in UTC, and what is the refund policy?` },
  ];
  const turns = [];
  // Fixed tool results: the baseline measures the transport to the model, nothing else.
  const results = { get_time: '{"timezone":"UTC","time":"2026-01-01T00:00:00.000Z"}', search_documents: MARKER };
  for (let i = 0; i < STEPS; i++) {
    const turn = await directTurn(modelUrl, messages);
    turns.push(turn);
    if (!turn.calls.length) break;
    messages.push({
      role: 'assistant',
      content: turn.text || null,
      tool_calls: turn.calls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: c.arguments },
      })),
    });
    for (const c of turn.calls) messages.push({ role: 'tool', tool_call_id: c.id, content: results[c.name] ?? '' });
  }
  const names = turns.map((t) => t.calls.map((c) => c.name).join(',') || `text:${t.text}`);
  const expected = ['get_time', 'search_documents', `text:done ${tag} found=yes`];
  if (names.join('|') !== expected.join('|')) throw new Error(`direct run ${tag}: turns ${JSON.stringify(names)}`);
  return { tag, turns };
}

// ---- Per-step overheads ----

/** Chronicle's overhead per step (ms) for one invocation, given the model's own times by turn. */
function chronicleSteps(inv, model) {
  const [m0, m1, m2] = [0, 1, 2].map((turn) => model.get(`${inv.tag}/${turn}`));
  if (!m0 || !m1 || !m2) throw new Error(`the model did not see the three turns of ${inv.tag}`);
  const own = (m) => m.endUs - m.receivedUs;
  return [
    (inv.toolCallUs - inv.invokeUs - own(m0)) / 1000,
    (m2.receivedUs - inv.toolResponseUs - own(m1)) / 1000,
    (inv.closedUs - m2.receivedUs - own(m2)) / 1000,
  ];
}

function directSteps(run, model) {
  return run.turns.map((t, turn) => {
    const m = model.get(`${run.tag}/${turn}`);
    if (!m) throw new Error(`the model did not see turn ${turn} of ${run.tag}`);
    return (t.endUs - t.writtenUs - (m.endUs - m.receivedUs)) / 1000;
  });
}

const modelTimes = async (model) => {
  model.send({ cmd: 'timings' });
  const { timings } = await nextMessage(model, (m) => m.timings);
  return new Map(timings.map((t) => [`${t.tag}/${t.turn}`, t]));
};

async function main() {
  snapshotDist();
  const env = environment();
  console.log(
    `node ${env.node}, ${env.cpus} CPUs, CPU pressure ${env.cpuPressure ?? '-'}; ${env.commit}${env.srcDirty.length ? ` + ${env.srcDirty.length} uncommitted src/ paths` : ''}; dist built ${env.distBuiltAt}`,
  );
  const loadBefore = loadavg();
  const model = fork(path.join(__dirname, 'agent/provider.js'), {
    env: { ...process.env, AGENT_BENCH_MARKER: MARKER },
  });
  const { url: modelUrl } = await nextMessage(model, (m) => m.ready);
  const dataDir = tmpDir('agent');
  const server = fork(path.join(__dirname, 'lib/chronicle-server.js'), [dataDir], {
    env: {
      ...process.env,
      CHRONICLE_BENCH_LLM_UPSTREAM: modelUrl,
      ...(opts.trace || opts.diagnose ? { CHRONICLE_BENCH_TRACE: '1' } : {}),
    },
  });
  const ask = (cmd, key, extra = {}) => {
    server.send({ cmd, ...extra });
    return nextMessage(server, (m) => m[key] !== undefined);
  };
  let failed; // set once the concurrent run is checked (a throw before exits 1 anyway)
  try {
    const { url, pid } = await nextMessage(server, (m) => m.ready);
    const access = await seed(url);
    console.log(`load average at the start: ${loadBefore}`);

    // Sequential rounds, the two paths in rotated order.
    const socket = await openAgentSocket(url, access);
    const runs = { chronicle: [], direct: [] };
    let cpu0;
    for (let i = 0; i < WARMUP + ITER; i++) {
      if (i === WARMUP) {
        if (opts.trace || opts.diagnose) await ask('reset', 'reset');
        if (opts.diagnose) await ask('profile-start', 'profiling');
        cpu0 = procCpuSeconds(pid);
      }
      const paths = [
        async () => {
          const inv = socket.invoke(`c${i}`);
          await settledWithin(inv.closed, INVOCATION_TIMEOUT_MS);
          const problem = problemOf(inv);
          if (problem) throw new Error(`invocation c${i}: ${problem.kind}: ${problem.detail}`);
          if (i >= WARMUP) runs.chronicle.push(inv);
        },
        async () => {
          const run = await directRun(modelUrl, `d${i}`);
          if (i >= WARMUP) runs.direct.push(run);
        },
      ];
      for (let k = 0; k < paths.length; k++) await paths[(i + k) % paths.length]();
    }
    // The direct rounds in the window cost the server nothing: this is per Chronicle invocation.
    const sequentialCpuMs = ((procCpuSeconds(pid) - cpu0) * 1000) / ITER;
    const stages = opts.trace || opts.diagnose ? (await ask('stats', 'stats')).stats.stages : null;
    const profileFile = path.join(dataDir, 'agent-window.cpuprofile');
    if (opts.diagnose) await ask('profile-stop', 'profiled', { file: profileFile });
    socket.ws.close();
    const times = await modelTimes(model);
    const chronicle = runs.chronicle.map((inv) => chronicleSteps(inv, times));
    const direct = runs.direct.map((run) => directSteps(run, times));
    const modelOwn = runs.chronicle.flatMap((inv) =>
      [0, 1, 2].map((turn) => {
        const m = times.get(`${inv.tag}/${turn}`);
        return (m.endUs - m.receivedUs) / 1000;
      }),
    );
    const result = { iterations: ITER, warmup: WARMUP, steps: {}, loadBefore };
    const rows = [['step', 'Chronicle p50', 'Chronicle p99', 'direct p50', 'direct p99', 'added p50', 'added p99']];
    const stepNames = [
      '1 invoke → tool_call',
      '2 tool_response → next model request',
      '3 → invocation_closed',
      'all steps',
    ];
    for (let s = 0; s <= STEPS; s++) {
      const pick = (list) => (s < STEPS ? list.map((steps) => steps[s]) : list.flat());
      const c = summarize(pick(chronicle));
      const d = summarize(pick(direct));
      result.steps[stepNames[s]] = { chronicle: c, direct: d, addedP50: c.p50 - d.p50, addedP99: c.p99 - d.p99 };
      rows.push([
        stepNames[s],
        round(c.p50),
        round(c.p99),
        round(d.p50),
        round(d.p99),
        round(c.p50 - d.p50),
        round(c.p99 - d.p99),
      ]);
    }
    const invocationMs = summarize(runs.chronicle.map((inv) => (inv.closedUs - inv.invokeUs) / 1000));
    const own = summarize(modelOwn);
    result.invocationMs = invocationMs;
    result.modelOwnMs = own;
    result.serverCpuMsPerInvocation = sequentialCpuMs;
    console.log(
      `\nAgent round, ${ITER} invocations per path after ${WARMUP} warm-up, one at a time, rotated order: overhead per step over the model's own time (ms)\n`,
    );
    console.log(table(rows));
    console.log(
      `\nmodel's own time per turn p50 ${round(own.p50)} ms, p99 ${round(own.p99)} ms; a whole invocation p50 ${round(invocationMs.p50)} ms, p99 ${round(invocationMs.p99)} ms; server CPU ${round(sequentialCpuMs)} ms per invocation`,
    );
    if (stages) {
      result.stages = stages;
      console.log(`\nStage timers in the server over the ${ITER} measured invocations (wall ms):\n`);
      console.log(
        table([
          ['stage', 'calls', 'p50', 'mean', 'max', 'total per invocation'],
          ...Object.entries(stages)
            .filter(([name]) => !name.startsWith('timeline') && !name.startsWith('HTTP'))
            .sort((a, b) => b[1].totalMs - a[1].totalMs)
            .map(([name, v]) => [
              name,
              v.count,
              round(v.p50Ms),
              round(v.meanMs),
              round(v.maxMs),
              round(v.totalMs / ITER),
            ]),
        ]),
      );
    }

    if (opts.diagnose) {
      const profile = summarizeProfile(profileFile, { top: 30 });
      result.profile = profile;
      console.log(
        `\nServer CPU profile of the measured window (sampled wall time on the main thread):\n${formatProfile(profile, { cats: 14, fns: 30 })}`,
      );
    }

    // Concurrency: every socket's invocations started at once.
    const sockets = await Promise.all(Array.from({ length: SOCKETS }, () => openAgentSocket(url, access)));
    const cpu1 = procCpuSeconds(pid);
    const t0 = nowUs();
    const all = sockets.flatMap((s, si) => Array.from({ length: PER_SOCKET }, (_, j) => s.invoke(`k${si}-${j}`)));
    const timedOut = !(await settledWithin(Promise.all(all.map((inv) => inv.closed)), CONCURRENT_TIMEOUT_MS));
    const wallMs = (Math.max(...all.map((inv) => inv.closedUs ?? nowUs())) - t0) / 1000;
    const concurrentCpuMs = (procCpuSeconds(pid) - cpu1) * 1000;
    // Frames that might still be on their way after the last close (an extra one is a failure too).
    await new Promise((r) => setTimeout(r, 200));
    const problems = { lost: 0, misordered: 0, wrong: 0, extra: 0 };
    const examples = [];
    for (const inv of all) {
      const p = problemOf(inv);
      if (!p) continue;
      problems[p.kind]++;
      if (examples.length < 5) examples.push(`${inv.tag}: ${p.kind}: ${p.detail}`);
    }
    // Every invocation as the audit read model recorded it: the same steps the frames told.
    const audit = [];
    for (const inv of all) {
      const problem = await auditProblem(url, access, inv);
      if (problem) audit.push(`${inv.tag}: ${problem}`);
    }
    const strays = sockets.reduce((n, s) => n + s.strays.length, 0);
    const frames = all.reduce((n, inv) => n + inv.frames.length, 0);
    const latency = summarize(all.filter((inv) => inv.closedUs).map((inv) => (inv.closedUs - inv.invokeUs) / 1000));
    const complete = all.length - problems.lost - problems.misordered - problems.wrong - problems.extra;
    result.concurrent = {
      sockets: SOCKETS,
      perSocket: PER_SOCKET,
      invocations: all.length,
      complete,
      problems,
      strays,
      auditProblems: audit.length,
      timedOut,
      wallMs,
      frames,
      framesPerSecond: frames / (wallMs / 1000),
      invocationMs: latency,
      serverCpuMsPerInvocation: concurrentCpuMs / all.length,
    };
    for (const s of sockets) s.ws.close();
    console.log(
      `\n${SOCKETS} sockets × ${PER_SOCKET} invocations started at once (${EXPECTED.length} frames each, in order)\n`,
    );
    console.log(
      table([
        [
          'invocations',
          'complete and in order',
          'lost',
          'misordered',
          'wrong',
          'extra',
          'stray frames',
          'wall (ms)',
          'frames',
          'frames/s',
          'invocation p50',
          'invocation p99',
          'server CPU/invocation (ms)',
        ],
        [
          all.length,
          complete,
          problems.lost,
          problems.misordered,
          problems.wrong,
          problems.extra,
          strays,
          round(wallMs),
          frames,
          round(frames / (wallMs / 1000)),
          round(latency.p50),
          round(latency.p99),
          round(concurrentCpuMs / all.length),
        ],
      ]),
    );
    for (const e of examples) console.log(`  ${e}`);
    console.log(
      `recorded (GET /api/agents/invocations/{id}/): ${all.length - audit.length}/${all.length} with every step as told`,
    );
    for (const a of audit.slice(0, 5)) console.log(`  ${a}`);
    if (strays) console.log(`  stray frames, e.g. ${JSON.stringify(sockets.find((s) => s.strays.length).strays[0])}`);
    failed = complete !== all.length || strays > 0 || audit.length > 0 || timedOut;
    result.loadAfter = loadavg();
    console.log(`\nload average at the start ${loadBefore}, at the end ${result.loadAfter} (2 cores)`);
    if (failed) console.log('FAILED: frames or recorded steps lost, out of order or wrong (see above).');
    if (opts.json) require('node:fs').writeFileSync(opts.json, JSON.stringify(result, null, 2));
  } finally {
    model.send({ cmd: 'stop' });
    server.send({ cmd: 'stop' });
    await Promise.all([new Promise((r) => model.once('exit', r)), new Promise((r) => server.once('exit', r))]);
    rmrf(dataDir);
    keepAlive.destroy();
  }
  if (failed) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
