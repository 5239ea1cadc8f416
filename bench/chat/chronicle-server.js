'use strict';
/**
 * Child process: Chronicle from dist/ with LLM_PROVIDER=openai pointed at the bench upstream, and a
 * WorkspaceKnowledge over dist's BM25 RetrievalIndex holding CHUNKS chunks for workspace 1 (the first
 * one created in this fresh DATA_DIR), so every chat pays for real retrieval and prompt assembly.
 * argv[2] = DATA_DIR, argv[3] = upstream base URL. IPC out: {ready, url}.
 */
const { dist, childMain } = require('../lib/common.js');

const CHUNKS = Number(process.env.CHUNKS || 5000);
const TOPIC = ('refund delivery warehouse invoice policy shipping parcel customer return payment carrier address order ' +
  'discount voucher account password login report quarter revenue budget forecast contract supplier pallet stock').split(' ');
// A vocabulary shaped like prose: a few thousand words drawn with a Zipf-like skew, the topic words among them.
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'be', 'do', 'fu', 'ga', 'hi', 'jo', 'pe', 'zu'];
const VOCAB = [...TOPIC];
for (let i = 0; VOCAB.length < 4000; i++) VOCAB.push(SYLLABLES[i % 16] + SYLLABLES[(i >> 4) % 16] + SYLLABLES[(i >> 8) % 16]);

/** Deterministic pseudo-random prose: every chunk a few sentences, common words often, rare ones seldom. */
function chunkText(i) {
  let x = ((i + 1) * 2654435761) % 4294967296;
  const next = () => (x = (x * 1664525 + 1013904223) % 4294967296) / 4294967296;
  const sentences = [];
  for (let s = 0; s < 6; s++) {
    const words = Array.from({ length: 10 + Math.floor(next() * 8) }, () => VOCAB[Math.floor(VOCAB.length * next() ** 2.5)]);
    sentences.push(`${words.join(' ')} number ${i}.`);
  }
  return sentences.join(' ');
}

childMain(async () => {
  const [dataDir, upstream] = process.argv.slice(2);
  const { startChronicle } = dist('app.js');
  const { loadConfig } = dist('config.js');
  const { RetrievalIndex } = dist('ai/retrieval/bm25-index.js');
  const pino = require('pino');
  const index = new RetrievalIndex();
  const chunks = [];
  for (let i = 0; i < CHUNKS; i++) chunks.push({ id: `c${i}`, documentId: 1 + Math.floor(i / 50), chunkIndex: i % 50, filename: `doc-${1 + Math.floor(i / 50)}.txt`, text: chunkText(i) });
  index.add(1, chunks);
  const knowledge = { search: async (ws, q, o) => index.search(ws, q, o), pinned: async () => [] };
  const config = loadConfig({
    DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', JWT_SECRET: 'x'.repeat(32), LOG_LEVEL: 'silent', RATE_LIMIT_AUTH_PER_MIN: '100000', RATE_LIMIT_API_PER_MIN: '1000000000',
    LLM_PROVIDER: 'openai', OPENAI_BASE_URL: upstream, OPENAI_API_KEY: 'bench',
  });
  const app = await startChronicle(config, pino({ level: 'silent' }), { knowledge });
  process.send({ ready: true, url: app.url, chunks: index.size(1) });
  process.on('message', async (m) => {
    if (m && m.cmd === 'stop') {
      await app.close();
      process.exit(0);
    }
  });
});
