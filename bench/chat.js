'use strict';
/**
 * Chat streaming overhead: Chronicle between a client and an OpenAI-compatible endpoint, against the
 * client reading that endpoint directly, in the same run.
 *
 *   node bench/chat.js [--quick] [--iterations=N] [--concurrency=200] [--chunks=5000] [--diagnose] [--json FILE]
 *                      [--compare=DIST_DIR --compare-label=parent]
 *
 * 1. upstream (child): streams 500 numbered tokens as fast as it can per request.
 * 2. Chronicle (child, the shared lib/chronicle-server.js): LLM_PROVIDER=openai at that upstream. The
 *    workspace gets ~5,000 chunks the real way: text documents uploaded over HTTP, ingested, `ready`;
 *    so each chat pays for retrieval through the real KnowledgeService (top_n 4), prompt assembly,
 *    history (chat_history 20, the default), the quota and chat events, and read-your-writes before
 *    `complete`.
 *    --diagnose: stage timers inside the server (CHRONICLE_BENCH_TRACE) and a CPU profile of the
 *    sequential window, by package and function. --trace: the stage timers and timelines without the profile.
 * 3. This process: sequential chats, interleaved direct / SSE / WebSocket, then N concurrent SSE
 *    streams and N concurrent WebSocket chats, each checked for all 500 tokens in order.
 *
 * TTFT: request written → first token parsed. Per token: (last token − first token) / 499.
 * Added = Chronicle's figure − direct figure, per percentile of the per-run values.
 */
const http = require('node:http');
const path = require('node:path');
const { fork } = require('node:child_process');
const { snapshotDist, flags, tmpDir, rmrf, summarize, nextMessage, table } = require('./lib/common.js');
const { summarizeProfile, formatProfile } = require('./lib/cpuprofile.js');

const opts = flags();
const ITER = Number(opts.iterations || (opts.quick ? 10 : 40));
const WARMUP = opts.quick ? 5 : 25; // past chat_history (20): the prompt's history is full in the measured window
const CONCURRENCY = Number(opts.concurrency || 200);
const CHUNKS = Number(opts.chunks || 5000);
const CHUNKS_PER_DOC = 50;
const TOKENS = 500;
const MESSAGE = 'What is the refund policy for a delivery returned to the warehouse?';
const WebSocket = require('ws');

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

/** POSTs JSON and feeds parsed SSE `data:` payloads to onData(json, tMs); resolves at the end of the response. */
function postSse(url, headers, body, onData) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const payload = Buffer.from(JSON.stringify(body));
    const t0 = performance.now();
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/json', 'Content-Length': payload.length, ...headers },
      },
      (res) => {
        onData({ headers: true, reused: req.reusedSocket }, performance.now() - t0);
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          const t = performance.now();
          buffer += d;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const line = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (!line.startsWith('data: ')) continue;
            const data = line.slice(6);
            if (data === '[DONE]') continue;
            onData(JSON.parse(data), t - t0);
          }
        });
        res.on('end', () => resolve(res.statusCode));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** One stream's timings and whether it carried t0..t499 in order. */
function tracker() {
  const s = { first: null, last: null, count: 0, ordered: true, complete: false, error: null };
  s.sentUs = Number(process.hrtime.bigint() / 1000n); // monotonic, comparable with the server's timeline (--trace)
  s.token = (token, t) => {
    if (token !== `t${s.count} `) s.ordered = false;
    s.count++;
    if (s.first === null) {
      s.first = t;
      s.firstUs = Number(process.hrtime.bigint() / 1000n);
    }
    s.last = t;
  };
  s.ok = () => s.count === TOKENS && s.ordered && s.error === null;
  return s;
}

async function viaSse(url, access) {
  const s = tracker();
  const start = performance.now();
  await postSse(
    `${url}/api/chats/stream_chat/`,
    { Authorization: `Bearer ${access}` },
    { message: MESSAGE, workspace_slug: 'bench' },
    (frame, t) => {
      if (frame.headers) {
        s.headers = t;
        s.reused = frame.reused;
      } else if (frame.type === 'start') s.started = t;
      else if (frame.type === 'stream') s.token(frame.token, t);
      else if (frame.type === 'complete') s.complete = true;
      else if (frame.type === 'error') s.error = frame.error;
    },
  );
  s.total = performance.now() - start;
  return s;
}

function openSocket(url, access) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws/chat/bench/?token=${access}`);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function viaSocket(ws) {
  return new Promise((resolve) => {
    const s = tracker();
    const t0 = performance.now();
    const onMessage = (data) => {
      const t = performance.now() - t0;
      const frame = JSON.parse(data.toString());
      if (frame.type === 'chat_token') s.token(frame.token, t);
      else if (frame.type === 'chat_complete' || frame.type === 'error') {
        if (frame.type === 'error') s.error = frame.error;
        else s.complete = true;
        ws.off('message', onMessage);
        resolve(s);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ type: 'chat', message: MESSAGE }));
  });
}

async function json(url, method, urlPath, body, headers = {}) {
  const res = await fetch(url + urlPath, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body && JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const TOPIC = (
  'refund delivery warehouse invoice policy shipping parcel customer return payment carrier address order ' +
  'discount voucher account password login report quarter revenue budget forecast contract supplier pallet stock'
).split(' ');
// A vocabulary shaped like prose: a few thousand words drawn with a Zipf-like skew, the topic words among them.
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'be', 'do', 'fu', 'ga', 'hi', 'jo', 'pe', 'zu'];
const VOCAB = [...TOPIC];
for (let i = 0; VOCAB.length < 4000; i++)
  VOCAB.push(SYLLABLES[i % 16] + SYLLABLES[(i >> 4) % 16] + SYLLABLES[(i >> 8) % 16]);

/** Deterministic pseudo-random prose, one paragraph of ~900 characters per intended chunk. */
function paragraph(i) {
  let x = ((i + 1) * 2654435761) % 4294967296;
  const next = () => (x = (x * 1664525 + 1013904223) % 4294967296) / 4294967296;
  let text = '';
  while (text.length < 880) {
    const words = Array.from(
      { length: 10 + Math.floor(next() * 8) },
      () => VOCAB[Math.floor(VOCAB.length * next() ** 2.5)],
    );
    text += `${words.join(' ')} number ${i}. `;
  }
  return text.trim();
}

/** Uploads text documents (CHUNKS_PER_DOC paragraphs each) to workspace 1 and waits until all are ready; answers the chunk count. */
async function seedDocuments(url, access) {
  const auth = { authorization: `Bearer ${access}` };
  const docs = Math.ceil(CHUNKS / CHUNKS_PER_DOC);
  for (let d = 0; d < docs; d += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, docs - d) }, async (_, j) => {
        const n = d + j;
        const text = Array.from({ length: CHUNKS_PER_DOC }, (_, c) => paragraph(n * CHUNKS_PER_DOC + c)).join('\n\n');
        const form = new FormData();
        form.set('workspace_id', '1');
        form.set('file', new Blob([text]), `doc-${n + 1}.txt`);
        const res = await fetch(`${url}/api/documents/upload/`, { method: 'POST', headers: auth, body: form });
        if (res.status !== 201) throw new Error(`upload doc-${n + 1}.txt: ${res.status} ${await res.text()}`);
      }),
    );
  }
  for (;;) {
    const all = (await json(url, 'GET', '/api/documents/', undefined, auth)).body;
    if (all.some((doc) => doc.status === 'failed')) throw new Error('a seeded document failed');
    if (all.every((doc) => doc.status === 'ready')) return all.reduce((n, doc) => n + doc.chunk_count, 0);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const perToken = (s) => (s.last - s.first) / (s.count - 1);
const round = (v) => (Number.isFinite(v) ? Math.round(v * 1000) / 1000 : v);

/**
 * One Chronicle under test: a server child from `distDir` (its own DATA_DIR, user, workspace and
 * ~5,000 seeded chunks) and one open chat socket. `label` names its rows ("sse", or "sse parent").
 */
async function startBuild(label, distDir, upstream) {
  const dataDir = tmpDir('chat');
  const server = fork(path.join(__dirname, 'lib/chronicle-server.js'), [dataDir], {
    env: {
      ...process.env,
      CHRONICLE_BENCH_DIST: distDir,
      CHRONICLE_BENCH_LLM_UPSTREAM: upstream,
      ...(opts.diagnose || opts.trace ? { CHRONICLE_BENCH_TRACE: '1' } : {}),
    },
  });
  const build = {
    label,
    server,
    dataDir,
    stop: async () => {
      server.send({ cmd: 'stop' });
      await new Promise((r) => server.once('exit', r));
      if (opts.keep) console.log(`kept ${dataDir} (--keep)`);
      else rmrf(dataDir);
    },
  };
  const { url } = await nextMessage(server, (m) => m.ready);
  build.url = url;
  build.ask = (cmd, key, extra = {}) => {
    server.send({ cmd, ...extra });
    return nextMessage(server, (m) => m[key] !== undefined || m.error);
  };
  const password = 'Correct-Horse-42';
  await json(url, 'POST', '/api/users/', {
    username: 'bench',
    email: 'bench@example.com',
    password,
    password_confirm: password,
  });
  const { access } = (await json(url, 'POST', '/api/auth/login/', { username: 'bench', password })).body;
  build.access = access;
  const ws = (await json(url, 'POST', '/api/workspaces/', { name: 'Bench' }, { Authorization: `Bearer ${access}` }))
    .body;
  if (ws.id !== 1 || ws.slug !== 'bench') throw new Error(`expected workspace 1 "bench", got ${JSON.stringify(ws)}`);
  const seedStart = performance.now();
  build.chunks = await seedDocuments(url, access);
  console.log(
    `${label}: seeded ${build.chunks} chunks in ${Math.ceil(CHUNKS / CHUNKS_PER_DOC)} documents over HTTP in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`,
  );
  // --history=N / --top-n=N: what the prompt's history and retrieval cost (diagnosis; defaults 20 and 4).
  if (Object.keys(CHANGES).length)
    await json(url, 'PATCH', '/api/workspaces/bench/', CHANGES, { Authorization: `Bearer ${access}` });
  build.socket = await openSocket(url, access);
  return build;
}

const CHANGES = {
  ...(opts.history !== undefined ? { chat_history: Number(opts.history) } : {}),
  ...(opts['top-n'] !== undefined ? { top_n: Number(opts['top-n']) } : {}),
};

async function main() {
  const current = snapshotDist();
  const upstreamChild = fork(path.join(__dirname, 'chat/upstream.js'), {
    env: { ...process.env, TOKENS: String(TOKENS) },
  });
  const { url: upstream } = await nextMessage(upstreamChild, (m) => m.ready);
  // --compare=DIR: a second build (e.g. the parent commit's dist/, copied inside the repo so that its
  // requires find node_modules) served beside this one and measured in the same rounds.
  const builds = [await startBuild('', current, upstream)];
  try {
    if (opts.compare)
      builds.push(
        await startBuild(` ${opts['compare-label'] || 'compare'}`, path.resolve(String(opts.compare)), upstream),
      );
    const chunks = builds[0].chunks;

    // Direct runs measure from when the request is written, like the others.
    const directRun = async () => {
      const s = tracker();
      const t0 = performance.now();
      await postSse(
        `${upstream}/chat/completions`,
        { Authorization: 'Bearer bench' },
        { model: 'bench', stream: true, messages: [{ role: 'user', content: MESSAGE }] },
        (j, t) => {
          if (j.headers) {
            s.headers = t;
            s.reused = j.reused;
            return;
          }
          const c = j.choices?.[0]?.delta?.content;
          if (c) s.token(c, t);
        },
      );
      s.total = performance.now() - t0;
      return s;
    };
    // Every round runs each path once, in an order rotated from round to round: no path always
    // follows the same one (the previous stream's wind-down, an idle process waking up).
    const paths = [['direct', directRun]];
    for (const b of builds)
      paths.push([`sse${b.label}`, () => viaSse(b.url, b.access)], [`ws${b.label}`, () => viaSocket(b.socket)]);
    const runs = Object.fromEntries(paths.map(([name]) => [name, []]));
    const profileFile = (b) => path.join(b.dataDir, 'chat-window.cpuprofile');
    for (let i = 0; i < WARMUP + ITER; i++) {
      if (i === WARMUP && (opts.diagnose || opts.trace))
        for (const b of builds) {
          await b.ask('reset', 'reset');
          if (opts.diagnose) await b.ask('profile-start', 'profiling');
        }
      for (let k = 0; k < paths.length; k++) {
        const [name, run] = paths[(i + k) % paths.length];
        const s = await run();
        if (!s.ok() || (name !== 'direct' && !s.complete))
          throw new Error(
            `${name} run ${i} failed: ${JSON.stringify({ count: s.count, ordered: s.ordered, error: s.error })}`,
          );
        if (i >= WARMUP) runs[name].push(s);
      }
    }
    for (const b of builds) b.socket.close();
    let diagnosis = null;
    if (opts.diagnose || opts.trace) {
      diagnosis = {};
      for (const b of builds) {
        if (opts.diagnose) await b.ask('profile-stop', 'profiled', { file: profileFile(b) });
        const { stats } = await b.ask('stats', 'stats');
        const perChat = ITER * 2; // SSE + WebSocket chats in the window
        console.log(`\nStage timers in the server${b.label} over the measured window (${perChat} chats; wall ms):\n`);
        console.log(
          table([
            ['stage', 'calls', 'p50', 'mean', 'max', 'total per chat'],
            ...Object.entries(stats.stages)
              .sort((a, b) =>
                a[0].startsWith('timeline') && b[0].startsWith('timeline')
                  ? a[0] < b[0]
                    ? -1
                    : 1
                  : b[1].totalMs - a[1].totalMs,
              )
              .map(([k, v]) => [
                k,
                v.count,
                round(v.p50Ms),
                round(v.meanMs),
                round(v.maxMs),
                round(v.totalMs / perChat),
              ]),
          ]),
        );
        const profile = opts.diagnose ? summarizeProfile(profileFile(b), { top: 30 }) : null;
        if (profile)
          console.log(
            `\nServer${b.label} CPU profile of the measured window (sampled wall time on the main thread):\n${formatProfile(profile, { cats: 14, fns: 30 })}`,
          );
        // The same samples, only those from each chat's arrival to its first token: what the first token waits behind.
        const beforeFirst = opts.diagnose
          ? summarizeProfile(profileFile(b), { top: 40, windows: stats.windows })
          : null;
        if (beforeFirst)
          console.log(
            `\nServer${b.label} CPU profile, arrival → first token of each chat (${stats.windows.length} windows):\n${formatProfile(beforeFirst, { cats: 16, fns: 40 })}`,
          );
        const transport = opts.diagnose
          ? summarizeProfile(profileFile(b), { top: 25, windows: stats.transportWindows })
          : null;
        if (transport)
          console.log(
            `\nServer${b.label} CPU profile, SSE request's arrival → startChat called (${stats.transportWindows.length} windows):\n${formatProfile(transport, { cats: 12, fns: 25 })}`,
          );
        const asking = opts.diagnose ? summarizeProfile(profileFile(b), { top: 25, windows: stats.askWindows }) : null;
        if (asking)
          console.log(
            `\nServer${b.label} CPU profile, prompt assembled → upstream fetch called (${stats.askWindows.length} windows):\n${formatProfile(asking, { cats: 12, fns: 25 })}`,
          );
        diagnosis[b.label.trim() || 'current'] = { stages: stats.stages, profile, beforeFirst, transport, asking };
        // Chats are sequential: the n-th measured chat of a path here is the n-th one the server saw on it.
        const transit = [
          [
            'path',
            'client → server arrival',
            'server: arrival → first token written',
            'written → client parsed it',
            'client TTFT',
          ],
        ];
        for (const kind of ['sse', 'ws']) {
          const seen = stats.arrivals.filter((a) => a.path === kind);
          const mine = runs[`${kind}${b.label}`];
          if (seen.length !== mine.length) {
            console.log(`(${kind}: ${seen.length} server timelines for ${mine.length} runs; transit not shown)`);
            continue;
          }
          const p50 = (f) => round(summarize(mine.map((s, i) => f(s, seen[i]) / 1000)).p50);
          transit.push([
            kind + b.label,
            p50((s, a) => a.arrivedUs - s.sentUs),
            p50((s, a) => a.firstTokenUs - a.arrivedUs),
            p50((s, a) => s.firstUs - a.firstTokenUs),
            p50((s) => s.firstUs - s.sentUs),
          ]);
        }
        console.log(
          `\nWhere each chat's time to first token goes, p50 of each leg (ms; monotonic clock shared by the processes):\n\n${table(transit)}`,
        );
      }
    }

    const stat = (list, f) => summarize(list.map(f));
    const d = { ttft: stat(runs.direct, (s) => s.first), tok: stat(runs.direct, perToken) };
    const rows = [
      [
        'path',
        'TTFT p50',
        'TTFT p90',
        'added TTFT p50',
        'per-token p50 (ms)',
        'added per-token p50 (ms)',
        'stream total p50',
      ],
    ];
    const result = {
      iterations: ITER,
      warmup: WARMUP,
      chunks,
      tokens: TOKENS,
      changes: CHANGES,
      loadavg: require('node:os').loadavg(),
    };
    rows.push([
      'direct',
      round(d.ttft.p50),
      round(d.ttft.p90),
      '-',
      round(d.tok.p50),
      '-',
      round(stat(runs.direct, (s) => s.total).p50),
    ]);
    result.direct = { ttft: d.ttft, perToken: d.tok };
    for (const [name] of paths.slice(1)) {
      const ttft = stat(runs[name], (s) => s.first);
      const tok = stat(runs[name], perToken);
      const total = stat(runs[name], (s) => s.last);
      rows.push([
        name,
        round(ttft.p50),
        round(ttft.p90),
        round(ttft.p50 - d.ttft.p50),
        round(tok.p50),
        round(tok.p50 - d.tok.p50),
        round(total.p50),
      ]);
      result[name] = {
        ttft,
        perToken: tok,
        addedTtftP50: ttft.p50 - d.ttft.p50,
        addedPerTokenP50: tok.p50 - d.tok.p50,
      };
    }
    if (opts.diagnose || opts.trace) {
      // Client side of the HTTP paths: response headers, SSE `start` frame (Chronicle only), and whether the request reused a kept-alive socket.
      const p50 = (list, f) => round(summarize(list.map(f).filter((v) => v !== undefined)).p50);
      console.log(`\nClient-side HTTP milestones, p50 (ms from request written):\n`);
      console.log(
        table([
          ['path', 'headers in', 'start frame', 'first token', 'reused socket'],
          ...Object.keys(runs)
            .filter((n) => !n.startsWith('ws'))
            .map((n) => [
              n,
              p50(runs[n], (s) => s.headers),
              p50(runs[n], (s) => s.started),
              p50(runs[n], (s) => s.first),
              `${runs[n].filter((s) => s.reused).length}/${runs[n].length}`,
            ]),
        ]),
      );
    }
    console.log(
      `\nChat streaming, ${ITER} runs per path after ${WARMUP} warm-up, rotated order, ${TOKENS} tokens, ${chunks} chunks in the workspace ${JSON.stringify(CHANGES)} (ms)\n`,
    );
    console.log(table(rows));

    // Concurrency: N streams at once over SSE, then N WebSocket chats at once; every token in order.
    const concurrent = {};
    for (const b of builds) {
      {
        const t0 = performance.now();
        const all = await Promise.all(
          Array.from({ length: CONCURRENCY }, () =>
            viaSse(b.url, b.access).catch((err) => ({ ok: () => false, complete: false, error: String(err) })),
          ),
        );
        const ok = all.filter((s) => s.ok() && s.complete).length;
        concurrent[`sse${b.label}`] = {
          streams: CONCURRENCY,
          succeeded: ok,
          wallMs: performance.now() - t0,
          ttft: summarize(all.filter((s) => s.first !== undefined && s.first !== null).map((s) => s.first)),
        };
      }
      {
        const sockets = await Promise.all(Array.from({ length: CONCURRENCY }, () => openSocket(b.url, b.access)));
        const t0 = performance.now();
        const all = await Promise.all(sockets.map((s) => viaSocket(s)));
        const ok = all.filter((s) => s.ok() && s.complete).length;
        concurrent[`ws${b.label}`] = {
          streams: CONCURRENCY,
          succeeded: ok,
          wallMs: performance.now() - t0,
          ttft: summarize(all.map((s) => s.first)),
        };
        for (const s of sockets) s.close();
      }
    }
    result.concurrent = concurrent;
    if (diagnosis) result.diagnosis = diagnosis;
    console.log(`\nConcurrent streams (${TOKENS} tokens each, all in order required)\n`);
    console.log(
      table([
        ['path', 'streams', 'succeeded', 'success %', 'wall (ms)', 'TTFT p50', 'TTFT p99'],
        ...Object.keys(concurrent).map((k) => [
          k,
          concurrent[k].streams,
          concurrent[k].succeeded,
          round((100 * concurrent[k].succeeded) / concurrent[k].streams),
          round(concurrent[k].wallMs),
          round(concurrent[k].ttft.p50),
          round(concurrent[k].ttft.p99),
        ]),
      ]),
    );
    console.log('\nTargets: added TTFT p50 < 15 ms, added per-token p50 < 0.2 ms, 200 concurrent streams at 100 %.');
    console.log(
      `load average at the end: ${require('node:os')
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    if (opts.json) require('node:fs').writeFileSync(opts.json, JSON.stringify(result, null, 2));
  } finally {
    upstreamChild.send({ cmd: 'stop' });
    await Promise.all([...builds.map((b) => b.stop()), new Promise((r) => upstreamChild.once('exit', r))]);
    agent.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
