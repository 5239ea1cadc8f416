'use strict';
/**
 * The append cost of the event log's hash chain: chainHash per event (SHA-256 over the previous hash
 * and the canonical encoding) beside what an append of that event costs in the embedded store
 * (SqliteEventStore, which computes it inside the group commit), one append alone per turn and 50
 * appends sharing a turn's group commit.
 *
 *   node bench/hash-chain.js [--quick]
 */
const crypto = require('node:crypto');
const path = require('node:path');
const { dist, flags, tmpDir, rmrf, table } = require('./lib/common.js');

const meta = {
  actorId: '1',
  actorType: 'user',
  correlationId: crypto.randomUUID(),
  causationId: crypto.randomUUID(),
  ip: '127.0.0.1',
  userAgent: 'Mozilla/5.0 (bench)',
  schemaVersion: 1,
};
const SIZES = { 'small (a workspace, ~200 B data)': 200, 'chat (~2 kB data)': 2_000, 'chunk (~100 kB data)': 100_000 };

function hashUs(chainHash, bytes, minMs) {
  const e = {
    id: crypto.randomUUID(),
    stream: 'workspace-1',
    revision: 3,
    type: 'Bench',
    data: JSON.stringify({ text: 'x'.repeat(bytes) }),
    metadata: JSON.stringify(meta),
    time: new Date().toISOString(),
  };
  let previous = '0'.repeat(64);
  for (let i = 0; i < 100; i++) previous = chainHash(previous, e);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    for (let i = 0; i < 50; i++) previous = chainHash(previous, e);
    n += 50;
  }
  return ((performance.now() - t0) * 1000) / n;
}

async function appendUs(store, bytes, perTurn, minMs) {
  const text = 'x'.repeat(bytes);
  const append = () =>
    store.appendToStream(
      `s-${crypto.randomUUID()}`,
      [{ id: crypto.randomUUID(), type: 'Bench', data: { text }, metadata: meta }],
      'no_stream',
    );
  for (let i = 0; i < 50; i++) await append();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    await Promise.all(Array.from({ length: perTurn }, append));
    n += perTurn;
  }
  return ((performance.now() - t0) * 1000) / n;
}

async function run({ quick }) {
  const minMs = quick ? 300 : 1500;
  const { chainHash } = dist('infra/eventstore/hash-chain.js');
  const { SqliteEventStore } = dist('infra/eventstore/sqlite.js');
  const dir = tmpDir('hash-chain');
  const store = SqliteEventStore.open(path.join(dir, 'events.sqlite'));
  const rows = [];
  try {
    for (const [label, bytes] of Object.entries(SIZES)) {
      const hash = hashUs(chainHash, bytes, minMs);
      const alone = await appendUs(store, bytes, 1, minMs);
      const grouped = await appendUs(store, bytes, 50, minMs);
      rows.push([
        label,
        hash.toFixed(1),
        alone.toFixed(1),
        `${((100 * hash) / alone).toFixed(1)}%`,
        grouped.toFixed(1),
        `${((100 * hash) / grouped).toFixed(1)}%`,
      ]);
    }
  } finally {
    await store.close();
    rmrf(dir);
  }
  return rows;
}

if (require.main === module) {
  require('./lib/common.js').snapshotDist();
  run(flags()).then(
    (rows) => {
      console.log('hash chain: µs per event (synchronous NORMAL)');
      console.log(
        table([['event', 'chainHash', 'append alone', 'share', 'append, 50 per turn', 'share'], ...rows]).replace(
          /^/gm,
          '    ',
        ),
      );
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
