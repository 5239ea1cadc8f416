'use strict';
/**
 * Agent round trips: Chronicle's agent runtime between a WebSocket client and an OpenAI-compatible
 * tool-calling endpoint, against the client calling that endpoint directly, in the same run.
 *
 *   node bench/agent.js [--quick] [--iterations=N] [--concurrency=100] [--json FILE]
 *
 * 1. upstream (child, agent/upstream.js): turn 0 asks for the client's `get_weather`, turn 1 for the
 *    server's `search_documents`, turn 2 answers.
 * 2. Chronicle (child, lib/chronicle-server.js) with LLM_PROVIDER=openai at that upstream, one workspace
 *    (no documents: search_documents runs the workspace's retrieval and finds nothing).
 * 3. This process: sequential rounds, interleaved: direct (the three upstream turns posted one after the
 *    other, with the same tool answers) and over /ws/agent/ (invoke → tool_call → tool_response → the
 *    server tool's note → the answer → invocation_closed). Added per step = (agent round − direct round) / 3.
 *    Then N invocations at once over 10 sockets, each checked for its frames in the expected order.
 */
const { randomUUID } = require('node:crypto');
const http = require('node:http');
const path = require('node:path');
const { fork } = require('node:child_process');
const WebSocket = require('ws');
const { flags, summarize, nextMessage, table, sleep } = require('./lib/common.js');
const { startChild, json, bearer, seedAdmin, environment } = require('./api/setup.js');

const opts = flags();
const ITER = Number(opts.iterations || (opts.quick ? 20 : 100));
const WARMUP = opts.quick ? 5 : 20;
const CONCURRENCY = Number(opts.concurrency || 100);
const SOCKETS = 10;
const TOOL = {
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const EXPECTED = ['invocation_started', 'tool_call', 'agent_message', 'agent_message', 'invocation_closed'];
/** The round went as scripted: its frames in this order, and the answer built from the client's tool result. */
const asScripted = (r) =>
  r.reason === 'completed' && r.frames.join() === EXPECTED.join() && r.answer === 'It is sunny.';
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

/** One streamed completion read to its end; answers the raw SSE text. */
function complete(upstream, body) {
  return new Promise((resolve, reject) => {
    const u = new URL(`${upstream}/chat/completions`);
    const payload = Buffer.from(JSON.stringify(body));
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': payload.length,
          Authorization: 'Bearer bench',
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(text));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The three turns a direct client of the upstream makes, with the answers the agent runtime would give. */
async function directRound(upstream) {
  const t0 = performance.now();
  const messages = [{ role: 'user', content: 'Weather in Oslo?' }];
  await complete(upstream, { model: 'bench', stream: true, messages });
  messages.push(
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }],
    },
    { role: 'tool', tool_call_id: 'call_w', content: 'sunny' },
  );
  await complete(upstream, { model: 'bench', stream: true, messages });
  messages.push(
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: 'call_s',
          type: 'function',
          function: { name: 'search_documents', arguments: '{"query":"weather policy"}' },
        },
      ],
    },
    { role: 'tool', tool_call_id: 'call_s', content: '{"results":[]}' },
  );
  const last = await complete(upstream, { model: 'bench', stream: true, messages });
  if (!last.includes('It is sunny.')) throw new Error(`direct round: unexpected answer ${last.slice(0, 200)}`);
  return performance.now() - t0;
}

/** A socket that answers every tool_call at once and routes frames to their invocation. */
function openSocket(url, token) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws/agent/bench/?token=${encodeURIComponent(token)}`);
    const byId = new Map();
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      const round = byId.get(frame.invocation_id);
      if (!round) return;
      round.frames.push(frame.type);
      if (frame.type === 'agent_message' && frame.final) round.answer = frame.content;
      if (frame.type === 'tool_call')
        ws.send(
          JSON.stringify({
            type: 'tool_response',
            invocation_id: frame.invocation_id,
            call_id: frame.call_id,
            result: 'sunny',
          }),
        );
      if (frame.type === 'error') round.errors.push(frame.error);
      if (frame.type === 'invocation_closed') {
        byId.delete(frame.invocation_id);
        round.done({
          ms: performance.now() - round.t0,
          frames: round.frames,
          reason: frame.reason,
          answer: round.answer,
          errors: round.errors,
        });
      }
    });
    ws.once('open', () =>
      resolve({
        ws,
        /** invoke → invocation_closed; answers its time, frame types and reason. */
        round() {
          return new Promise((done) => {
            // The client names each invocation, so frames are routed to their round whatever the order of starts.
            const id = randomUUID();
            byId.set(id, { t0: performance.now(), frames: [], errors: [], done });
            ws.send(JSON.stringify({ type: 'invoke', invocation_id: id, message: 'Weather in Oslo?', tools: [TOOL] }));
          });
        },
      }),
    );
    ws.once('error', reject);
  });
}

async function run() {
  const upstreamChild = fork(path.join(__dirname, 'agent/upstream.js'));
  const { url: upstream } = await nextMessage(upstreamChild, (m) => m.ready);
  const server = await startChild('../lib/chronicle-server.js', {
    env: { CHRONICLE_BENCH_LLM_UPSTREAM: upstream },
    label: 'agent',
  });
  try {
    const { token } = await seedAdmin(server.url);
    const ws = await json(
      server.url,
      'POST',
      '/api/workspaces/',
      { name: 'Bench', chat_provider: 'openai' },
      bearer(token),
    );
    if (ws.body.slug !== 'bench') throw new Error(`expected workspace "bench", got ${JSON.stringify(ws.body)}`);
    const sockets = [];
    for (let i = 0; i < SOCKETS; i++) sockets.push(await openSocket(server.url, token));

    const direct = [];
    const viaAgent = [];
    for (let i = 0; i < WARMUP + ITER; i++) {
      const d = await directRound(upstream);
      const a = await sockets[0].round();
      if (!asScripted(a)) throw new Error(`agent round: ${a.reason} ${a.frames.join()} ${a.errors.join('; ')}`);
      if (i >= WARMUP) {
        direct.push(d);
        viaAgent.push(a.ms);
      }
    }

    await sleep(200);
    const t0 = performance.now();
    const rounds = await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => sockets[i % SOCKETS].round()));
    const concurrentMs = performance.now() - t0;
    const inOrder = rounds.filter(asScripted).length;
    for (const s of sockets) s.ws.close();
    return {
      iterations: ITER,
      direct: summarize(direct),
      agent: summarize(viaAgent),
      addedPerStep: summarize(viaAgent.map((a, i) => (a - direct[i]) / 3)),
      concurrent: {
        invocations: CONCURRENCY,
        sockets: SOCKETS,
        completeInOrder: inOrder,
        wallMs: concurrentMs,
        latency: summarize(rounds.map((r) => r.ms)),
      },
    };
  } finally {
    await server.stop();
    upstreamChild.send({ cmd: 'stop' });
  }
}

const ms = (v) => `${v.toFixed(2)} ms`;
function report(r) {
  const row = (label, s) => [label, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.mean)];
  return [
    `agent rounds (${r.iterations} sequential, interleaved with direct ones; 3 model turns, 1 client tool, 1 server tool each)`,
    table([
      ['', 'p50', 'p90', 'p99', 'mean'],
      row('direct (3 upstream turns)', r.direct),
      row('over /ws/agent/', r.agent),
      row('added per step', r.addedPerStep),
    ]),
    '',
    `${r.concurrent.invocations} invocations at once over ${r.concurrent.sockets} sockets: ${r.concurrent.completeInOrder}/${r.concurrent.invocations} completed with every frame in order, in ${ms(r.concurrent.wallMs)}; per invocation p50 ${ms(r.concurrent.latency.p50)}, p99 ${ms(r.concurrent.latency.p99)}`,
  ].join('\n');
}

if (require.main === module) require('./lib/common.js').runAsMain(run, report, { environment });
module.exports = { run, report };
