'use strict';
/**
 * Child process: a minimal OpenAI-compatible endpoint (POST /v1/chat/completions with stream: true)
 * that streams TOKENS numbered tokens ("t0 ", "t1 ", ...) as fast as the socket takes them: one SSE
 * chunk per token, written in one loop, then `[DONE]`. Numbered tokens let the client check order.
 * IPC out: {ready, url}.
 */
const http = require('node:http');

const TOKENS = Number(process.env.TOKENS || 500);
const chunk = (model, delta, finish = null) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 0,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\n\n`;

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
    res.writeHead(404).end();
    return;
  }
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    const model = JSON.parse(body).model || 'bench';
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.write(chunk(model, { role: 'assistant', content: '' }));
    for (let i = 0; i < TOKENS; i++) res.write(chunk(model, { content: `t${i} ` }));
    res.end(`${chunk(model, {}, 'stop')}data: [DONE]\n\n`);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ ready: true, url: `http://127.0.0.1:${server.address().port}/v1` }));
process.on('message', (m) => m && m.cmd === 'stop' && server.close(() => process.exit(0)));
