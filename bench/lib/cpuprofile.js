'use strict';
/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by package / dist file, the top
 * functions by self time, and inclusive time of a few named functions (synchronous stacks only:
 * an `await` cuts the stack, so inclusive figures undercount async work).
 */
const fs = require('node:fs');

function category(url) {
  if (!url) return null;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const d = url.indexOf('/dist/');
  if (d >= 0)
    return `dist/${url
      .slice(d + 6)
      .split('/')
      .slice(0, 2)
      .join('/')}`;
  const b = url.indexOf('/bench/');
  if (b >= 0) return `bench/${url.slice(b + 7)}`;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/').slice(0, 2).join('/')}`;
  return url;
}

/**
 * `windows`: [[startUs, endUs], ...] on the monotonic clock (process.hrtime, as V8 stamps samples):
 * only samples inside one of them count (e.g. each chat from its arrival to its first token).
 */
function summarizeProfile(file, { top = 25, inclusive = [], windows = null } = {}) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (windows) {
    const sorted = [...windows].sort((a, b) => a[0] - b[0]);
    let t = prof.startTime;
    const samples = [];
    const deltas = [];
    for (let i = 0, w = 0; i < prof.samples.length; i++) {
      t += prof.timeDeltas[i] ?? 0;
      while (w < sorted.length && sorted[w][1] < t) w++;
      if (w < sorted.length && sorted[w][0] <= t) {
        samples.push(prof.samples[i]);
        deltas.push(prof.timeDeltas[i] ?? 0);
      }
    }
    prof.samples = samples;
    prof.timeDeltas = deltas;
  }
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map();
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  }
  let total = 0;
  const cats = new Map();
  const fns = new Map();
  const incl = new Map(inclusive.map((n) => [n, 0]));
  for (const [id, us] of selfUs) {
    total += us;
    const node = byId.get(id);
    const cf = node.callFrame;
    const special = cf.functionName.startsWith('(') ? cf.functionName : null; // (garbage collector), (idle), (program)
    const cat = special ?? category(cf.url) ?? '(native / unknown)';
    cats.set(cat, (cats.get(cat) ?? 0) + us);
    const fnKey = `${cf.functionName || '(anonymous)'} ${cat}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    fns.set(fnKey, (fns.get(fnKey) ?? 0) + us);
    if (incl.size) {
      // Attribute this sample once to each named function on its stack.
      const seen = new Set();
      for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
        const name = byId.get(cur).callFrame.functionName;
        if (incl.has(name) && !seen.has(name)) {
          seen.add(name);
          incl.set(name, incl.get(name) + us);
        }
      }
    }
  }
  const idle = cats.get('(idle)') ?? 0;
  const busy = total - idle;
  const sortDesc = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: total / 1000,
    busyMs: busy / 1000,
    categories: sortDesc(cats).map(([k, us]) => ({
      name: k,
      ms: us / 1000,
      shareOfBusy: k === '(idle)' ? null : us / busy,
    })),
    topFunctions: sortDesc(fns)
      .filter(([k]) => !k.startsWith('(idle)'))
      .slice(0, top)
      .map(([k, us]) => ({ name: k, ms: us / 1000, shareOfBusy: us / busy })),
    inclusive: [...incl].map(([k, us]) => ({ name: k, ms: us / 1000, shareOfBusy: us / busy })),
  };
}

function formatProfile(p, { cats = 14, fns = 15 } = {}) {
  const pct = (x) => (x === null ? '' : `${(x * 100).toFixed(1)}%`.padStart(6));
  const lines = [
    `busy ${p.busyMs.toFixed(0)} ms of ${p.totalMs.toFixed(0)} ms sampled; self time by package/file (share of busy):`,
  ];
  for (const c of p.categories.filter((c) => c.name !== '(idle)').slice(0, cats))
    lines.push(`  ${pct(c.shareOfBusy)}  ${c.ms.toFixed(0).padStart(7)} ms  ${c.name}`);
  lines.push('top functions by self time:');
  for (const f of p.topFunctions.slice(0, fns))
    lines.push(`  ${pct(f.shareOfBusy)}  ${f.ms.toFixed(0).padStart(7)} ms  ${f.name}`);
  if (p.inclusive.length) {
    lines.push('inclusive (synchronous stacks):');
    for (const f of p.inclusive) lines.push(`  ${pct(f.shareOfBusy)}  ${f.ms.toFixed(0).padStart(7)} ms  ${f.name}`);
  }
  return lines.join('\n');
}

module.exports = { summarizeProfile, formatProfile };
