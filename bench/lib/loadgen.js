'use strict';
/**
 * Closed-loop HTTP load generator on node:http with a keep-alive Agent (no autocannon).
 * `clients` workers each keep exactly one request in flight on their own socket. Requests that
 * complete during the warm-up are discarded; the measured window is [warmup, warmup + duration].
 */
const http = require('node:http');
const { summarize } = require('./common.js');

function once(agent, url, { method, path, headers, body }) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { ...headers, 'Content-Length': Buffer.byteLength(body ?? '') },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const ms = Number(process.hrtime.bigint() - start) / 1e6;
          resolve({ status: res.statusCode, ms, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (err) => resolve({ status: 0, ms: 0, error: err }));
      },
    );
    req.on('error', (err) => resolve({ status: 0, ms: Number(process.hrtime.bigint() - start) / 1e6, error: err }));
    if (body) req.write(body);
    req.end();
  });
}

/**
 * @param {object} o
 * @param {string} o.baseUrl
 * @param {number} o.clients
 * @param {number} o.warmupMs
 * @param {number} o.durationMs
 * @param {(client: number, seq: number) => {method: string, path: string, headers: object, body?: string}} o.request
 * @param {(res: {status:number, body:string}) => boolean} [o.ok] decides success; default 2xx
 * @param {(phase: 'measure'|'end') => void} [o.onPhase] called when the window opens and closes
 */
async function runLoad(o) {
  const url = new URL(o.baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.clients, maxFreeSockets: o.clients });
  const ok = o.ok ?? ((r) => r.status >= 200 && r.status < 300);
  const t0 = performance.now();
  const measureFrom = t0 + o.warmupMs;
  const measureTo = measureFrom + o.durationMs;
  const latencies = [];
  const statuses = {};
  const errorSamples = [];
  let errors = 0;
  let warmupRequests = 0;
  let phase = 'warmup';
  const phaseTimer = setTimeout(() => {
    phase = 'measure';
    o.onPhase?.('measure');
  }, o.warmupMs);

  async function worker(client) {
    for (let seq = 0; ; seq++) {
      const now = performance.now();
      if (now >= measureTo) return;
      const res = await once(agent, url, o.request(client, seq));
      const end = performance.now();
      if (end < measureFrom) {
        warmupRequests++;
        if (!ok(res) && errorSamples.length < 5)
          errorSamples.push({
            phase: 'warmup',
            status: res.status,
            body: res.body?.slice(0, 200),
            error: res.error?.message,
          });
        continue;
      }
      if (end > measureTo) return; // finished after the window closed: not counted
      latencies.push(res.ms);
      const key = res.status || 'socket-error';
      statuses[key] = (statuses[key] ?? 0) + 1;
      if (!ok(res)) {
        errors++;
        if (errorSamples.length < 5)
          errorSamples.push({ status: res.status, body: res.body?.slice(0, 200), error: res.error?.message });
      }
    }
  }

  const clientCpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: o.clients }, (_, i) => worker(i)));
  clearTimeout(phaseTimer);
  const clientCpu = process.cpuUsage(clientCpu0);
  o.onPhase?.('end');
  agent.destroy();
  const seconds = o.durationMs / 1000;
  const lat = summarize(latencies);
  return {
    clients: o.clients,
    seconds,
    requests: lat.n,
    warmupRequests,
    reqPerSec: lat.n / seconds,
    latencyMs: lat,
    statuses,
    errors,
    errorSamples,
    // CPU the load generator itself burnt over warm-up + window (it shares the 2 cores with the server).
    clientCpuSeconds: (clientCpu.user + clientCpu.system) / 1e6,
    phase,
  };
}

module.exports = { runLoad, once };
