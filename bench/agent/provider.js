'use strict';
/**
 * Child process: an OpenAI-compatible tool-calling model (POST /v1/chat/completions, stream: true)
 * playing a fixed three-turn agent, in the wire format of tests/support/fake-agent-providers.ts:
 *
 *   turn 0  "Checking the clock first." and a call of the client's tool get_time {timezone}
 *   turn 1  a call of the server tool search_documents {query, top_n}
 *   turn 2  the answer "done <tag> found=<yes|no>": yes when the search result it was given holds
 *           the seeded document's marker word, so the bench can check the server tool found it
 *
 * The turn is the number of assistant messages since the last user message, so concurrent
 * invocations each follow the script. The tag is the `Run <tag>:` the user message starts with.
 *
 * Its own time per request, from the request's arrival (headers parsed) to the response's end, is
 * kept with the tag and turn on the monotonic clock the other processes share (hrtime, µs), so the
 * bench can take the model's time out of what it measures.
 *
 * IPC in: {cmd: 'timings'} (answers and forgets them) | {cmd: 'stop'}. IPC out: {ready, url} | {timings}.
 */
const http = require('node:http');

const MARKER = process.env.AGENT_BENCH_MARKER || 'quokka';
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

let timings = [];

/** One SSE chunk; without a delta it is the last one of stream_options.include_usage, carrying `usage`. */
const chunk = (model, delta, finish = null, usage = undefined) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-bench-agent',
    object: 'chat.completion.chunk',
    created: 0,
    model,
    choices: delta ? [{ index: 0, delta, logprobs: null, finish_reason: finish }] : [],
    ...(usage ? { usage } : {}),
  })}\n\n`;

/** Words with their spaces, as models stream text; JSON in pieces of a few characters, cut anywhere. */
const words = (text) => text.match(/\s*\S+\s*/g) ?? [];
const slices = (json) => json.match(/[\s\S]{1,7}/g) ?? [];

/** The turn's reply: {text, calls: [{id, name, args}]}. */
function reply(turn, tag, toolResults) {
  if (turn === 0)
    return {
      text: 'Checking the clock first.',
      calls: [{ id: 'call_0_1', name: 'get_time', args: { timezone: 'UTC' } }],
    };
  if (turn === 1)
    return {
      text: '',
      calls: [{ id: 'call_1_1', name: 'search_documents', args: { query: `${MARKER} refund policy`, top_n: 3 } }],
    };
  const found = toolResults.some((content) => content.includes(MARKER));
  return { text: `done ${tag} found=${found ? 'yes' : 'no'}`, calls: [] };
}

function frames(body) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const lastUser = messages.findLastIndex((m) => m.role === 'user');
  const since = messages.slice(lastUser + 1);
  const turn = since.filter((m) => m.role === 'assistant').length;
  const tag = /^Run (\S+):/.exec(String(messages[lastUser]?.content ?? ''))?.[1] ?? '?';
  const results = since.filter((m) => m.role === 'tool').map((m) => String(m.content));
  const r = reply(turn, tag, results);
  const model = body.model || 'bench';
  const out = [chunk(model, { role: 'assistant', content: r.calls.length && !r.text ? null : '' })];
  for (const w of words(r.text)) out.push(chunk(model, { content: w }));
  r.calls.forEach((call, index) => {
    out.push(
      chunk(model, {
        tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
      }),
    );
    for (const s of slices(JSON.stringify(call.args)))
      out.push(chunk(model, { tool_calls: [{ index, function: { arguments: s } }] }));
  });
  out.push(chunk(model, {}, r.calls.length ? 'tool_calls' : 'stop'));
  if (body.stream_options?.include_usage) {
    const prompt = Math.ceil(JSON.stringify(messages).length / 4);
    const completion = Math.ceil((r.text + JSON.stringify(r.calls)).length / 4);
    out.push(
      chunk(model, null, null, {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
      }),
    );
  }
  return { turn, tag, text: `${out.join('')}data: [DONE]\n\n` };
}

const server = http.createServer((req, res) => {
  const receivedUs = nowUs();
  if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
    res.writeHead(404).end();
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    const { turn, tag, text } = frames(JSON.parse(body));
    res.on('finish', () => timings.push({ tag, turn, receivedUs, endUs: nowUs() }));
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    // One write per chunk, as a model streams them.
    const pieces = text.split(/(?<=\n\n)/);
    for (let i = 0; i < pieces.length - 1; i++) res.write(pieces[i]);
    res.end(pieces[pieces.length - 1]);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ ready: true, url: `http://127.0.0.1:${server.address().port}/v1` }));
process.on('message', (m) => {
  if (m?.cmd === 'timings') {
    process.send({ timings });
    timings = [];
  } else if (m?.cmd === 'stop') server.close(() => process.exit(0));
});
