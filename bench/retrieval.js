'use strict';
/**
 * Retrieval bench: the BM25 RetrievalIndex (dist/ai/retrieval/bm25-index.js) over one workspace of
 * 50,000 chunks of ~1,000 characters (1,000 documents × 50 chunks), the target being
 * p99 < 20 ms per query. Not a test: it prints figures and asserts nothing about time.
 *
 * Text: sentences drawn from a 30,000-word vocabulary with a Zipf(1) distribution whose 150
 * commonest ranks are real English stop words (as in English, where they make about half of the
 * words), the rest pseudo-words; plus 200 planted phrases of words found nowhere else, each in one
 * chunk. Queries (1,000 timed, after 100 warm-up): 80 % "natural" (2–6 content words drawn with
 * the same Zipf law, so mostly the commonest ones, between two stop words), 20 % a planted phrase
 * with two common content words around it (checked: the planted chunk must rank first). topN 4,
 * threshold 0.25 (AnythingLLM's defaults). Latency is reported as wall time and as process CPU
 * time (on a shared box, wall time also counts waiting for a core), with the garbage collections
 * that ran meanwhile. Same-run baseline: a naive scan, `text.includes(word)` for each query word
 * over all chunks, on 100 of the queries. Ranking: each natural query's top 4 is compared with the
 * unbudgeted BM25+ ranking of the same index (`search(…, { candidates: Infinity, scored: Infinity })`),
 * whose search is not timed.
 *
 * --service: the same queries through KnowledgeService (src/ai/retrieval/knowledge.ts), which chat uses:
 * chunks stored in the documents read models, the index built from them by the first search.
 *
 *   npm run build && node --expose-gc bench/retrieval.js [--chunks=50000] [--queries=1000] [--quick] [--service]
 */
const { dist, snapshotDist, flags, summarize, fmt, table } = require('./lib/common.js');

const opts = flags();
const CHUNKS = Number(opts.chunks ?? (opts.quick ? 10_000 : 50_000));
const QUERIES = Number(opts.queries ?? (opts.quick ? 300 : 1_000));
const CHUNKS_PER_DOC = 50;
const PLANTED = 200;
const VOCABULARY = 30_000;

snapshotDist();
const { RetrievalIndex } = dist('ai/retrieval/bm25-index.js');

/** mulberry32: the same corpus and queries on every run. */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(20240501);

// The commonest ranks are real English stop words (as in English, where ~150 words make half the
// text; the index drops them), the rest pronounceable pseudo-words.
const STOP = (
  'the of and to in is that it for was on are as with be at by this from or have an they which you ' +
  'were her all she there would their we him been has when who will more no if out so said what up its about into ' +
  'than them can only other new some could time these two may then do first any my now such like our over man me even ' +
  'most made after also did many before must through back years where much your way well down should because each just ' +
  'those people how too little state good very make world still own see men work long get here between both life being under ' +
  'never day same another know while last might us great old year off come since against go came right used take three'
).split(' ');
const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ra',
  'ten',
  'vo',
  'sul',
  'dan',
  'pe',
  'gri',
  'hol',
  'na',
  'qua',
  'bes',
  'tor',
  'lin',
  'mar',
  'fen',
  'cor',
  'ux',
];
const words = [...STOP];
const seen = new Set(words);
while (words.length < VOCABULARY) {
  let w = '';
  for (let n = 2 + Math.floor(random() * 3); n > 0; n--) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
  if (!seen.has(w)) {
    seen.add(w);
    words.push(w);
  }
}
// Zipf(1) sampling by inverse CDF over ranks; content words alone for queries.
function zipf(from) {
  const cdf = new Float64Array(VOCABULARY - from);
  let acc = 0;
  for (let r = from; r < VOCABULARY; r++) {
    acc += 1 / (r + 1);
    cdf[r - from] = acc;
  }
  return () => {
    const x = random() * acc;
    let lo = 0,
      hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return words[from + lo];
  };
}
const zipfWord = zipf(0);
const contentWord = zipf(STOP.length);
const stopWord = () => STOP[Math.floor(random() * 20)];

function chunkText() {
  let text = '';
  while (text.length < 1000) {
    const n = 6 + Math.floor(random() * 14);
    const sentence = Array.from({ length: n }, zipfWord).join(' ');
    text += `${sentence[0].toUpperCase()}${sentence.slice(1)}. `;
  }
  return text.slice(0, 1000).trimEnd();
}

// Planted phrases: three words outside the vocabulary (they contain 'zz'), one chunk each.
const planted = [];
for (let i = 0; i < PLANTED; i++) {
  const phrase = Array.from(
    { length: 3 },
    (_, j) => `zz${(i * 3 + j).toString(36)}${SYLLABLES[(i + j) % SYLLABLES.length]}`,
  ).join(' ');
  planted.push({ phrase, chunk: Math.floor(random() * CHUNKS) });
}
const plantedAt = new Map(planted.map((p) => [p.chunk, p.phrase]));

console.log(`generating ${fmt.int(CHUNKS)} chunks…`);
const documents = [];
for (let d = 0; d * CHUNKS_PER_DOC < CHUNKS; d++) {
  const chunks = [];
  for (let c = 0; c < CHUNKS_PER_DOC && d * CHUNKS_PER_DOC + c < CHUNKS; c++) {
    const global = d * CHUNKS_PER_DOC + c;
    let text = chunkText();
    const phrase = plantedAt.get(global);
    if (phrase) text = `${text.slice(0, 400)} ${phrase} ${text.slice(400 + phrase.length + 2)}`.slice(0, 1000);
    chunks.push({ id: `${d + 1}:${c}`, documentId: d + 1, text, chunkIndex: c, filename: `doc-${d + 1}.pdf` });
  }
  documents.push(chunks);
}

const queries = [];
for (let q = 0; q < QUERIES + 100; q++) {
  if (random() < 0.2) {
    const p = planted[Math.floor(random() * planted.length)];
    queries.push({ text: `what about ${contentWord()} ${p.phrase} ${contentWord()}?`, expect: p.chunk });
  } else {
    const n = 2 + Math.floor(random() * 5);
    queries.push({
      text: `${stopWord()} ${Array.from({ length: n }, contentWord).join(' ')} ${stopWord()}?`,
      expect: null,
    });
  }
}

const gc = global.gc ?? (() => {});
gc();
const rssBefore = process.memoryUsage().rss;
const heapBefore = process.memoryUsage().heapUsed;

(async () => {
  const index = new RetrievalIndex();
  const WS = 1;
  const t0 = performance.now();
  for (const chunks of documents) index.add(WS, chunks);
  const buildMs = performance.now() - t0;
  gc();
  const mem = process.memoryUsage();

  const chunkIdOf = (global) => `${Math.floor(global / CHUNKS_PER_DOC) + 1}:${global % CHUNKS_PER_DOC}`;
  let search = (q) => index.search(WS, q.text, { topN: 4, threshold: 0.25 });
  let serviceBuildMs = null;
  if (opts.service) {
    // Through the KnowledgeService chat uses: chunks in the documents read models (embedded SQLite read
    // store), the index built by the first search, each search awaiting the service's queue of changes.
    const { SqliteReadStore } = dist('infra/readstore/sqlite.js');
    const { KnowledgeService } = dist('ai/retrieval/knowledge.js');
    const { documentsProjection } = dist('projections/documents/projection.js');
    const dir = require('node:fs').mkdtempSync(
      require('node:path').join(require('node:os').tmpdir(), 'chronicle-bench-retrieval-'),
    );
    process.on('exit', () => require('node:fs').rmSync(dir, { recursive: true, force: true }));
    const db = SqliteReadStore.open(require('node:path').join(dir, 'readmodels.sqlite'));
    await documentsProjection.setup(db);
    for (const chunks of documents) {
      const documentId = chunks[0].documentId;
      await db.collection('documents').insertOne({
        _id: String(documentId),
        id: documentId,
        workspaceId: WS,
        status: 'ready',
        ingestion: 1,
        filename: chunks[0].filename,
        pinned: false,
      });
      for (const c of chunks) {
        await db.collection('document_chunks').insertOne({
          _id: c.id,
          documentId,
          workspaceId: WS,
          ingestion: 1,
          index: c.chunkIndex,
          text: c.text,
          start: 0,
          filename: c.filename,
        });
      }
    }
    await db.flush();
    const service = await KnowledgeService.start({ db });
    const b0 = performance.now();
    await service.search(WS, 'warm', { topN: 4, threshold: 0.25 });
    serviceBuildMs = performance.now() - b0;
    search = (q) => service.search(WS, q.text, { topN: 4, threshold: 0.25 });
  }

  for (const q of queries.slice(0, 100)) await search(q); // warm-up

  const latencies = [];
  const cpuTimes = []; // process CPU per query: on a shared box, wall time also counts waiting for a core
  const natural = [];
  const phrase = [];
  let firstRight = 0,
    phraseQueries = 0,
    emptyNatural = 0;
  const gcs = { scavenge: { n: 0, ms: 0 }, other: { n: 0, ms: 0 } };
  const {
    PerformanceObserver,
    constants: { NODE_PERFORMANCE_GC_MINOR },
  } = require('node:perf_hooks');
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = e.detail?.kind === NODE_PERFORMANCE_GC_MINOR ? gcs.scavenge : gcs.other;
      kind.n++;
      kind.ms += e.duration;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const timed = [];
  for (const q of queries.slice(100)) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const hits = await search(q);
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    timed.push({ q, hits });
    latencies.push(ms);
    cpuTimes.push((used.user + used.system) / 1000);
    if (q.expect === null) {
      natural.push(ms);
      if (hits.length === 0) emptyNatural++;
    } else {
      phrase.push(ms);
      phraseQueries++;
      if (hits[0]?.chunkId === chunkIdOf(q.expect)) firstRight++;
    }
  }

  await new Promise((resolve) => setTimeout(resolve, 50)); // the observer's entries arrive on a later turn
  gcObserver.disconnect();

  // Ranking against the unbudgeted BM25+ of the same index: the share of its top 4 that the budgeted search kept.
  const bm25 = opts.service ? null : index;
  let overlap = 0,
    sameFirst = 0,
    compared = 0;
  if (bm25) {
    for (const { q, hits } of timed) {
      if (q.expect !== null) continue;
      const reference = bm25.search(
        WS,
        q.text,
        { topN: 4, threshold: 0.25 },
        { candidates: Infinity, scored: Infinity },
      );
      if (reference.length === 0) continue;
      const ids = new Set(reference.map((h) => h.chunkId));
      compared++;
      overlap += hits.filter((h) => ids.has(h.chunkId)).length / ids.size;
      if (hits[0]?.chunkId === reference[0].chunkId) sameFirst++;
    }
  }

  // Same-run baseline: a naive substring scan for each query word over every chunk.
  const allChunks = documents.flat();
  const baseline = [];
  for (const q of queries.slice(100, 200)) {
    const terms = q.text
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length > 1);
    const start = performance.now();
    let found = 0;
    for (const c of allChunks)
      for (const t of terms)
        if (c.text.includes(t)) {
          found++;
          break;
        }
    baseline.push(performance.now() - start);
    if (found < 0) console.log(found); // keep the loop observable
  }

  if (serviceBuildMs !== null)
    console.log(`through KnowledgeService: first search (index built from the read model) ${fmt.ms(serviceBuildMs)}`);

  // removeDocument: discard 10 documents' chunks, then query again.
  const removeStart = performance.now();
  for (let d = 1; d <= 10; d++) index.removeDocument(WS, d);
  const removeMs = (performance.now() - removeStart) / 10;

  const all = summarize(latencies);
  const cpuAll = summarize(cpuTimes);
  const nat = summarize(natural);
  const phr = summarize(phrase);
  const base = summarize(baseline);
  console.log();
  console.log(
    `index: ${fmt.int(index.size(WS) + 10 * CHUNKS_PER_DOC)} chunks in 1 workspace, built in ${fmt.ms(buildMs)} (${fmt.int((CHUNKS / buildMs) * 1000)} chunks/s)`,
  );
  console.log(
    `memory after build (after GC${global.gc ? '' : ' — run with --expose-gc for steadier figures'}): RSS ${fmt.mib(mem.rss / 2 ** 20)} (+${fmt.mib((mem.rss - rssBefore) / 2 ** 20)}), heap used +${fmt.mib((mem.heapUsed - heapBefore) / 2 ** 20)}`,
  );
  console.log();
  console.log(
    table([
      ['queries', 'n', 'p50', 'p90', 'p99', 'max', 'mean'],
      ['all', all.n, fmt.ms(all.p50), fmt.ms(all.p90), fmt.ms(all.p99), fmt.ms(all.max), fmt.ms(all.mean)],
      [
        'all, CPU time',
        cpuAll.n,
        fmt.ms(cpuAll.p50),
        fmt.ms(cpuAll.p90),
        fmt.ms(cpuAll.p99),
        fmt.ms(cpuAll.max),
        fmt.ms(cpuAll.mean),
      ],
      [
        'natural (Zipf words)',
        nat.n,
        fmt.ms(nat.p50),
        fmt.ms(nat.p90),
        fmt.ms(nat.p99),
        fmt.ms(nat.max),
        fmt.ms(nat.mean),
      ],
      ['planted phrase', phr.n, fmt.ms(phr.p50), fmt.ms(phr.p90), fmt.ms(phr.p99), fmt.ms(phr.max), fmt.ms(phr.mean)],
      [
        'baseline: naive scan',
        base.n,
        fmt.ms(base.p50),
        fmt.ms(base.p90),
        fmt.ms(base.p99),
        fmt.ms(base.max),
        fmt.ms(base.mean),
      ],
    ]),
  );
  console.log();
  console.log(
    `p99 target < 20 ms: ${all.p99 < 20 ? 'met' : 'NOT met'} (wall p99 ${fmt.ms(all.p99)}, CPU p99 ${fmt.ms(cpuAll.p99)}; p50 is ${fmt.ratio(all.p50 / base.p50)} of the naive scan's p50)`,
  );
  console.log(
    `load average now: ${require('node:os')
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} on ${require('node:os').availableParallelism()} cores`,
  );
  console.log(
    `planted phrase ranked first: ${firstRight}/${phraseQueries}; natural queries with no hit above 0.25: ${emptyNatural}/${natural.length}`,
  );
  if (compared > 0)
    console.log(
      `natural queries' top 4 kept from the unbudgeted ranking: ${fmt.pct(overlap / compared)}; same first hit: ${fmt.pct(sameFirst / compared)} (${compared} queries with a hit)`,
    );
  console.log(
    `garbage collection during the timed queries: ${gcs.scavenge.n} scavenges (${fmt.ms(gcs.scavenge.ms)} in all), ${gcs.other.n} other (${fmt.ms(gcs.other.ms)})`,
  );
  console.log(`removeDocument (${CHUNKS_PER_DOC} chunks): ${fmt.ms(removeMs)} each`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
