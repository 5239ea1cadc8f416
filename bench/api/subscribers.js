'use strict';
/**
 * Child process: a share of the fan-out bench's subscribers. Speaks the graphql-ws protocol
 * (graphql-transport-ws) directly over `ws` sockets, which costs the generator far less than a
 * graphql-ws createClient per connection: connection_init with {Authorization: 'Bearer <token>'},
 * then one `subscribe` after connection_ack, pong for ping. Each `next` frame is timestamped with
 * process.hrtime.bigint() (CLOCK_MONOTONIC, comparable across processes on Linux) before anything
 * else is done with it, then parsed for the position it carries.
 *
 * IPC in:
 *   {cmd: 'connect', url, tokens: [string per connection], query, variables, concurrency}
 *       → {connected, failed, errors}
 *   {cmd: 'count'}   → {count: frames since the last reset, perConnectionMin}
 *   {cmd: 'reset'}   → {reset}   forget frames received so far
 *   {cmd: 'collect'} → {frames: [[connection, position, arrivalMs], ...], errors, closed}
 *   {cmd: 'stop'}    → {stopped} (closes every socket, exits)
 */
const WebSocket = require('ws');
const { childMain } = require('../lib/common.js');

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

childMain(async () => {
  const conns = [];
  let frames = []; // [conn, position, ms]
  let counts = [];
  const errors = [];
  let closedUnexpectedly = 0;
  let stopping = false;

  function open(i, url, token, query, variables) {
    return new Promise((resolve) => {
      const ws = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
      let settled = false;
      const settle = (ok, why) => {
        if (settled) return;
        settled = true;
        if (!ok) errors.push(`connection ${i}: ${why}`);
        resolve(ok);
      };
      const timer = setTimeout(() => settle(false, 'no connection_ack within 60 s'), 60_000);
      ws.on('open', () =>
        ws.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${token}` } })),
      );
      ws.on('message', (data) => {
        const at = nowMs();
        const msg = JSON.parse(data.toString());
        if (msg.type === 'next') {
          const position = msg.payload?.data?.workspaceEvents?.position;
          if (msg.payload?.errors) errors.push(`connection ${i}: ${JSON.stringify(msg.payload.errors).slice(0, 300)}`);
          frames.push([i, position ?? -1, at]);
          counts[i]++;
        } else if (msg.type === 'connection_ack') {
          clearTimeout(timer);
          ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
          settle(true);
        } else if (msg.type === 'ping') {
          ws.send(JSON.stringify({ type: 'pong' }));
        } else if (msg.type === 'error' || msg.type === 'complete') {
          errors.push(`connection ${i}: ${msg.type} ${JSON.stringify(msg.payload ?? null).slice(0, 300)}`);
        }
      });
      ws.on('error', (err) => settle(false, err.message));
      ws.on('close', (code, reason) => {
        if (!stopping) {
          closedUnexpectedly++;
          errors.push(`connection ${i}: closed ${code} ${reason}`);
        }
        settle(false, `closed ${code} ${reason}`);
      });
      conns[i] = ws;
    });
  }

  process.on('message', async (m) => {
    if (m.cmd === 'connect') {
      counts = new Array(m.tokens.length).fill(0);
      let next = 0;
      let connected = 0;
      await Promise.all(
        Array.from({ length: Math.min(m.concurrency ?? 50, m.tokens.length) }, async () => {
          while (next < m.tokens.length) {
            const i = next++;
            if (await open(i, m.url, m.tokens[i], m.query, m.variables)) connected++;
          }
        }),
      );
      process.send({ connected, failed: m.tokens.length - connected, errors: errors.slice(0, 5) });
    } else if (m.cmd === 'count') {
      process.send({ count: frames.length, perConnectionMin: counts.length ? Math.min(...counts) : 0 });
    } else if (m.cmd === 'reset') {
      frames = [];
      counts.fill(0);
      process.send({ reset: true });
    } else if (m.cmd === 'collect') {
      process.send({ frames, errors: errors.slice(0, 20), errorCount: errors.length, closed: closedUnexpectedly });
    } else if (m.cmd === 'stop') {
      stopping = true;
      for (const ws of conns) ws?.terminate();
      process.send({ stopped: true }, () => process.exit(0));
    }
  });
  process.send({ ready: true, pid: process.pid });
});
