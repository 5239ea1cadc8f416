'use strict';
/**
 * What sealing personal data costs the embedded event store: a chat question (a ~2 kB prompt, an
 * address and a user agent, all sealed) appended 50 per turn, and a replay's read of such events
 * (readAll, lean, 1,000 per page), through the encrypting decorator beside the bare store, in one run.
 *
 *   node bench/sealed-events.js [--quick]
 */
const crypto = require('node:crypto');
const os = require('node:os');
const path = require('node:path');
const { dist, flags, tmpDir, rmrf, table } = require('./lib/common.js');

const prompt = 'How do I return an item I bought last month? '.repeat(45); // ~2 kB
const chat = (i) => ({
  id: crypto.randomUUID(),
  type: 'ChatRequested',
  data: {
    chatId: i,
    workspaceId: 1,
    threadId: null,
    userId: 1 + (i % 50),
    prompt,
    mode: 'chat',
    at: new Date().toISOString(),
  },
  metadata: {
    actorId: String(1 + (i % 50)),
    actorType: 'user',
    correlationId: crypto.randomUUID(),
    causationId: null,
    ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench',
    schemaVersion: 1,
  },
});

async function appendUs(store, n) {
  let i = 0;
  const t0 = performance.now();
  while (i < n) {
    await Promise.all(Array.from({ length: 50 }, () => store.appendToStream(`chat-${++i}`, [chat(i)], 'no_stream')));
  }
  return ((performance.now() - t0) * 1000) / n;
}

async function readUs(store) {
  let after = 0;
  let n = 0;
  const t0 = performance.now();
  for (;;) {
    const page = await store.readAll({ after, maxCount: 1000, lean: true });
    if (!page.length) break;
    for (const e of page) if (typeof e.data.prompt !== 'string') throw new Error('not opened');
    n += page.length;
    after = page[page.length - 1].position;
  }
  return ((performance.now() - t0) * 1000) / n;
}

async function run({ quick }) {
  const n = quick ? 5_000 : 20_000;
  const { SqliteEventStore } = dist('infra/eventstore/sqlite.js');
  const { EncryptingEventStore } = dist('infra/eventstore/encrypting.js');
  const { CachedKeyStore } = dist('infra/keystore/cached.js');
  const { SqliteKeyStore } = dist('infra/keystore/sqlite.js');
  const dir = tmpDir('sealed-events');
  const rows = [];
  try {
    const bare = SqliteEventStore.open(path.join(dir, 'bare.sqlite'));
    const keys = new CachedKeyStore(SqliteKeyStore.open(path.join(dir, 'keys.sqlite')));
    const sealed = new EncryptingEventStore(SqliteEventStore.open(path.join(dir, 'sealed.sqlite')), keys);
    const appendBare = await appendUs(bare, n);
    const appendSealed = await appendUs(sealed, n);
    rows.push([
      'append (50 per turn)',
      appendBare.toFixed(1),
      appendSealed.toFixed(1),
      `${(appendSealed / appendBare).toFixed(2)}×`,
    ]);
    const readBare = await readUs(bare);
    const readSealed = await readUs(sealed);
    rows.push([
      'replay read (lean)',
      readBare.toFixed(1),
      readSealed.toFixed(1),
      `${(readSealed / readBare).toFixed(2)}×`,
    ]);
    await bare.close();
    await sealed.close();
    await keys.close();
  } finally {
    rmrf(dir);
  }
  return { n, rows };
}

if (require.main === module) {
  require('./lib/common.js').snapshotDist();
  run(flags()).then(
    ({ n, rows }) => {
      console.log(`sealed personal data: µs per chat event, ${n} events, load ${os.loadavg()[0].toFixed(1)}`);
      console.log(table([['operation', 'bare store', 'encrypting store', 'ratio'], ...rows]).replace(/^/gm, '    '));
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

module.exports = { run };
