'use strict';
/**
 * Child process: a minimal OpenAI-compatible tool-calling endpoint (POST /v1/chat/completions, stream: true).
 * Its turn is read from the request (assistant messages since the last user message), so concurrent
 * invocations each get their own script:
 *   turn 0: a `get_weather` tool call (the client's tool), streamed as tool_calls deltas;
 *   turn 1: a `search_documents` tool call (the server's tool);
 *   turn 2: a short answer naming the weather the client gave, finish_reason stop.
 * IPC out: {ready, url}.
 */
const http = require('node:http');

const chunk = (model, delta, finish = null) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 0,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\n\n`;

function toolCall(model, id, name, args) {
  return [
    chunk(model, {
      role: 'assistant',
      content: null,
      tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }],
    }),
    chunk(model, { tool_calls: [{ index: 0, function: { arguments: JSON.stringify(args) } }] }),
    chunk(model, {}, 'tool_calls'),
  ].join('');
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
    res.writeHead(404).end();
    return;
  }
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    const request = JSON.parse(body);
    const model = request.model || 'bench';
    const messages = request.messages || [];
    const lastUser = messages.map((m) => m.role).lastIndexOf('user');
    const turn = messages.slice(lastUser + 1).filter((m) => m.role === 'assistant').length;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    if (turn === 0) res.write(toolCall(model, 'call_w', 'get_weather', { city: 'Oslo' }));
    else if (turn === 1) res.write(toolCall(model, 'call_s', 'search_documents', { query: 'weather policy' }));
    else {
      const weather = messages.find((m) => m.role === 'tool' && m.tool_call_id === 'call_w')?.content ?? '?';
      res.write(chunk(model, { role: 'assistant', content: `It is ${weather}.` }));
      res.write(chunk(model, {}, 'stop'));
    }
    res.end('data: [DONE]\n\n');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ ready: true, url: `http://127.0.0.1:${server.address().port}/v1` }));
process.on('message', (m) => m && m.cmd === 'stop' && server.close(() => process.exit(0)));
