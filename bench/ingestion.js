'use strict';
/**
 * Ingestion bench: documents uploaded over real multipart HTTP to a Chronicle server (its own
 * process, `dist/server.js`, embedded adapters, in-process jobs), timed from the first upload to
 * the last document `ready`: uploads, file store, events, background extraction and chunking,
 * chunk events, the documents projection. Not a test: it prints figures and asserts nothing.
 *
 * Corpora (deterministic):
 *   plain  N plain-text documents (.txt), 20–200 KB of prose each (the issue's target: >= 5 MB/s)
 *   mixed  N documents: 80 % txt/md/csv, 6 % json, 6 % html, 4 % pdf (pdfkit), 4 % docx (jszip)
 * Uploads go 8 at a time (a browser's worth of connections); readiness is polled once per 100 ms.
 * MB/s of text counts the characters extracted (the documents' `characters`), MB/s of files the
 * bytes uploaded. Server CPU time is read from /proc.
 *
 *   npm run build && node bench/ingestion.js [--docs=1000] [--corpus=plain,mixed] [--concurrency=8]
 *        [--profile=out.cpuprofile] [--json=file] [--quick]
 */
const { spawn } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');
const { snapshotDist, flags, tmpDir, rmrf, table, sleep, procCpuSeconds, rssSampler } = require('./lib/common.js');

const opts = flags();
const DOCS = Number(opts.docs ?? (opts.quick ? 200 : 1000));
const CORPORA = String(opts.corpus ?? 'plain,mixed').split(',');
const CONCURRENCY = Number(opts.concurrency ?? 8);

/** mulberry32: the same corpus on every run. */
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
];
const COMMON = 'the of and to in is that it for was on are as with be at by this from or have an they which'.split(' ');

function prose(random, chars) {
  const words = [];
  const word = () => {
    if (random() < 0.45) return COMMON[Math.floor(random() * COMMON.length)];
    let w = '';
    for (let n = 1 + Math.floor(random() * 3); n > 0; n--) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    return w;
  };
  let length = 0;
  let paragraph = [];
  while (length < chars) {
    const n = 6 + Math.floor(random() * 16);
    const sentence = Array.from({ length: n }, word).join(' ');
    paragraph.push(`${sentence[0].toUpperCase()}${sentence.slice(1)}.`);
    length += sentence.length + 2;
    if (paragraph.length >= 3 + Math.floor(random() * 5)) {
      words.push(paragraph.join(' '));
      paragraph = [];
    }
  }
  if (paragraph.length) words.push(paragraph.join(' '));
  return words.join('\n\n');
}

function makePdf(text) {
  const PDFDocument = require('pdfkit');
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument();
    const parts = [];
    doc.on('data', (p) => parts.push(p));
    doc.on('end', () => resolve(Buffer.concat(parts)));
    doc.on('error', reject);
    doc.fontSize(11).text(text);
    doc.end();
  });
}

async function makeDocx(text) {
  const JSZip = require('jszip');
  const zip = new JSZip();
  zip.file(
    '[Content_Types].xml',
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
  );
  zip.file(
    '_rels/.rels',
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
  );
  const body = text
    .split('\n\n')
    .map((p) => `<w:p><w:r><w:t xml:space="preserve">${p}</w:t></w:r></w:p>`)
    .join('');
  zip.file(
    'word/document.xml',
    `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`,
  );
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

async function corpus(kind, n) {
  const random = rng(kind === 'plain' ? 1 : 2);
  const docs = [];
  for (let i = 0; i < n; i++) {
    const size = 20_000 + Math.floor(random() * 180_000);
    const r = kind === 'plain' ? 0 : random();
    if (r < 0.8) {
      const ext = kind === 'plain' ? 'txt' : ['txt', 'md', 'csv'][i % 3];
      const text =
        ext === 'csv' ? prose(random, size).replace(/\. /g, '.,').replace(/\n\n/g, '\n') : prose(random, size);
      docs.push({ name: `doc-${i}.${ext}`, bytes: Buffer.from(text) });
    } else if (r < 0.86) {
      const text = prose(random, size);
      docs.push({
        name: `doc-${i}.json`,
        bytes: Buffer.from(
          JSON.stringify({ title: `doc ${i}`, sections: text.split('\n\n').map((body, k) => ({ k, body })) }),
        ),
      });
    } else if (r < 0.92) {
      const text = prose(random, size);
      docs.push({
        name: `doc-${i}.html`,
        bytes: Buffer.from(
          `<!doctype html><html><head><style>p{margin:0}</style><script>var x=1;</script></head><body>${text
            .split('\n\n')
            .map((p) => `<p>${p}</p>`)
            .join('')}</body></html>`,
        ),
      });
    } else if (r < 0.96) {
      docs.push({ name: `doc-${i}.pdf`, bytes: await makePdf(prose(random, Math.min(size, 30_000))) });
    } else {
      docs.push({ name: `doc-${i}.docx`, bytes: await makeDocx(prose(random, size)) });
    }
  }
  return docs;
}

async function startServer(dataDir, profile) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const args = profile
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${path.dirname(path.resolve(profile))}`,
        `--cpu-prof-name=${path.basename(profile)}`,
      ]
    : [];
  const child = spawn(process.execPath, [...args, path.join(process.env.CHRONICLE_BENCH_DIST, 'server.js')], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      JWT_SECRET: 'x'.repeat(32),
      RATE_LIMIT_AUTH_PER_MIN: '100000',
      RATE_LIMIT_API_PER_MIN: '1000000000',
      RATE_LIMIT_UPLOAD_PER_MIN: '1000000',
      REDIS_URL: '',
      ...(opts.env
        ? Object.fromEntries(
            String(opts.env)
              .split(',')
              .map((kv) => kv.split('=')),
          )
        : {}),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 400; i++) {
    try {
      // /healthz answers before the application is loaded; /readyz says `starting` until it is.
      const res = await fetch(`${url}/readyz`);
      if ((await res.json()).status !== 'starting') return { child, url };
    } catch {
      /* not yet */
    }
    await sleep(50);
  }
  throw new Error('server did not start');
}

async function json(url, method, body, token) {
  const res = await fetch(url, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function run(kind) {
  const docs = await corpus(kind, DOCS);
  const fileBytes = docs.reduce((n, d) => n + d.bytes.length, 0);
  const dataDir = tmpDir('ingest');
  const { child, url } = await startServer(dataDir, opts.profile ? `${opts.profile}.${kind}.cpuprofile` : null);
  try {
    const password = 'Correct-Horse-42';
    await json(`${url}/api/users/`, 'POST', {
      username: 'bench',
      email: 'b@example.com',
      password,
      password_confirm: password,
    });
    const token = (await json(`${url}/api/auth/login/`, 'POST', { username: 'bench', password })).body.access;
    const ws = (await json(`${url}/api/workspaces/`, 'POST', { name: 'Bench' }, token)).body.id;
    const cpu0 = procCpuSeconds(child.pid);
    const rss = rssSampler(child.pid);
    const t0 = performance.now();
    let next = 0;
    const ids = [];
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < docs.length) {
          const doc = docs[next++];
          const form = new FormData();
          form.set('workspace_id', String(ws));
          form.set('file', new Blob([doc.bytes]), doc.name);
          const res = await fetch(`${url}/api/documents/upload/`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}` },
            body: form,
          });
          const body = await res.json();
          if (res.status !== 201) throw new Error(`upload ${doc.name}: ${res.status} ${JSON.stringify(body)}`);
          ids.push(body.id);
        }
      }),
    );
    const uploadedMs = performance.now() - t0;
    for (;;) {
      const left = (await json(`${url}/api/documents/?status=processing&limit=1`, 'GET', undefined, token)).body.count;
      if (left === 0) break;
      await sleep(100);
    }
    const totalMs = performance.now() - t0;
    const cpu = procCpuSeconds(child.pid) - cpu0;
    const peak = rss.stop();
    const all = (await json(`${url}/api/documents/`, 'GET', undefined, token)).body;
    const failed = all.filter((d) => d.status !== 'ready');
    const chunks = all.reduce((n, d) => n + (d.chunk_count || 0), 0);
    const textBytes = await extractedCharacters(dataDir);
    return {
      corpus: kind,
      docs: docs.length,
      failed: failed.length,
      fileMB: fileBytes / 1e6,
      textMB: textBytes / 1e6,
      chunks,
      uploadSeconds: uploadedMs / 1000,
      totalSeconds: totalMs / 1000,
      docsPerSecond: docs.length / (totalMs / 1000),
      fileMBps: fileBytes / 1e6 / (totalMs / 1000),
      textMBps: textBytes / 1e6 / (totalMs / 1000),
      serverCpuSeconds: cpu,
      peakRssMiB: peak.hwmMiB ?? peak.peakSampledMiB,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    if (!opts.keep) rmrf(dataDir);
  }
}

/** Sum of DocumentProcessed.characters, read from the event store after the run (the server has it open, WAL allows readers). */
async function extractedCharacters(dataDir) {
  const Database = require('better-sqlite3');
  const db = new Database(path.join(dataDir, 'events.sqlite'), { readonly: true });
  try {
    const rows = db.prepare("SELECT data FROM events WHERE type = 'DocumentProcessed'").all();
    return rows.reduce((n, r) => n + JSON.parse(r.data).characters, 0);
  } finally {
    db.close();
  }
}

async function main() {
  snapshotDist();
  const results = [];
  for (const kind of CORPORA) {
    const r = await run(kind);
    results.push(r);
    console.log(
      `${kind}: ${r.docs} docs (${r.failed} not ready), ${r.textMB.toFixed(1)} MB text in ${r.totalSeconds.toFixed(1)} s`,
    );
  }
  console.log(
    table([
      [
        'corpus',
        'docs',
        'file MB',
        'text MB',
        'chunks',
        'uploads done s',
        'all ready s',
        'docs/s',
        'MB/s text',
        'MB/s files',
        'server CPU s',
        'peak RSS MiB',
      ],
      ...results.map((r) => [
        r.corpus,
        r.docs,
        r.fileMB.toFixed(1),
        r.textMB.toFixed(1),
        r.chunks,
        r.uploadSeconds.toFixed(1),
        r.totalSeconds.toFixed(1),
        r.docsPerSecond.toFixed(1),
        r.textMBps.toFixed(2),
        r.fileMBps.toFixed(2),
        r.serverCpuSeconds?.toFixed(1),
        typeof r.peakRssMiB === 'number' ? r.peakRssMiB.toFixed(0) : '',
      ]),
    ]),
  );
  if (opts.json)
    fs.writeFileSync(
      opts.json,
      JSON.stringify(
        { at: new Date().toISOString(), options: { docs: DOCS, concurrency: CONCURRENCY }, results },
        null,
        2,
      ),
    );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
