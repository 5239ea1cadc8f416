'use strict';
/**
 * Preloaded (`node --require`) into a server child by benches run with `--timeline`, the same way into
 * Chronicle and into its baseline: what held the main thread, on the monotonic clock the subscribers
 * time frames with (process.hrtime, ms), so a slow update can be lined up with what happened then.
 *
 * - every garbage collection (PerformanceObserver 'gc': start, duration, kind);
 * - every event-loop stall over STALL_MS: a 5 ms interval timer that fired late by that much (the loop
 *   was busy, or the process was not on a CPU) — recorded at the time the stall began;
 * - monitorEventLoopDelay over the run, as a summary;
 * - when each event position's frames left (first and last WebSocket `send` of a text frame carrying
 *   `"position":N`, and how many), and when each non-GET HTTP answer was ended (PATCH / publish).
 *
 * IPC in: {cmd: 'timeline', since} (hrtime ms) →
 *   {timeline: {gc: [[at, ms, kind]], stalls: [[at, ms]], eld, frames: [[position, first, last, n]], answers: [[at, method]]}}.
 */
const { PerformanceObserver, constants, monitorEventLoopDelay, performance } = require('node:perf_hooks');

const STALL_MS = 15;
const CAP = 50_000;
const hrMs = () => Number(process.hrtime.bigint()) / 1e6;
// performance.now() and hrtime are both monotonic; the offset turns a GC entry's startTime into hrtime ms.
const offset = hrMs() - performance.now();
const kinds = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

const gc = [];
const stalls = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (gc.length < CAP) gc.push([e.startTime + offset, e.duration, kinds[e.detail?.kind] ?? 'other']);
  }
}).observe({ entryTypes: ['gc'] });

const TICK = 5;
let expected = hrMs() + TICK;
const ticker = setInterval(() => {
  const now = hrMs();
  const late = now - expected;
  if (late > STALL_MS && stalls.length < CAP) stalls.push([expected, late]);
  expected = now + TICK;
}, TICK);
ticker.unref();

const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();

const frames = new Map(); // position → [first, last, n]
try {
  const { WebSocket } = require('ws');
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data, ...rest) {
    if (typeof data === 'string') {
      const i = data.indexOf('"position":');
      if (i >= 0) {
        const position = parseInt(data.slice(i + 11, i + 24), 10);
        const now = hrMs();
        const f = frames.get(position);
        if (f) {
          f[1] = now;
          f[2]++;
        } else if (frames.size < CAP) frames.set(position, [now, now, 1]);
      }
    }
    return send.call(this, data, ...rest);
  };
} catch {
  // no ws here: no frame times
}
const answers = [];
const http = require('node:http');
const end = http.ServerResponse.prototype.end;
http.ServerResponse.prototype.end = function (...args) {
  if (this.req && this.req.method !== 'GET' && answers.length < CAP) answers.push([hrMs(), this.req.method]);
  return end.apply(this, args);
};

process.on('message', (m) => {
  if (!m || m.cmd !== 'timeline') return;
  const since = m.since ?? 0;
  const q = (p) => eld.percentile(p) / 1e6;
  process.send({
    timeline: {
      gc: gc.filter((g) => g[0] >= since),
      stalls: stalls.filter((s) => s[0] >= since),
      eld: { p50: q(50), p99: q(99), max: eld.max / 1e6, mean: eld.mean / 1e6 },
      frames: [...frames].filter(([, f]) => f[1] >= since).map(([p, f]) => [p, ...f]),
      answers: answers.filter((a) => a[0] >= since),
    },
  });
});
