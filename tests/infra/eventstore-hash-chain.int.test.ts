/**
 * The embedded event store's hash chain: every event's hash is SHA-256 over the previous hash and the
 * event's canonical encoding, written in the event's own transaction, in commit order.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { verifyLog } from '../../src/audit/verify-log.js';
import {
  ConcurrencyError,
  GENESIS_HASH,
  type StoredEvent,
  canonicalEvent,
  chainHash,
} from '../../src/infra/eventstore/port.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { systemEvent } from '../support/events.js';

const dir = mkdtempSync(join(tmpdir(), 'chronicle-hash-chain-'));
const newFile = () => join(dir, `${randomUUID()}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const event = systemEvent;

async function stored(store: SqliteEventStore): Promise<StoredEvent[]> {
  return store.readStored({ maxCount: 1000 });
}

/** Recomputes the chain from GENESIS_HASH over the stored fields: what every hash must be. */
function expectChained(events: StoredEvent[], from = GENESIS_HASH): void {
  let previous = from;
  for (const e of events) {
    expect(e.hash).toBe(chainHash(previous, e));
    previous = e.hash!;
  }
}

describe('the SQLite hash chain', () => {
  it('given a fresh log, when events are appended one by one, then each hash chains from the previous one, starting at genesis', async () => {
    const store = SqliteEventStore.open(newFile());
    await store.appendToStream('a-1', [event('Created', { n: 1 })], 'no_stream');
    await store.appendToStream('a-1', [event('Renamed', { n: 2 }), event('Renamed', { n: 3 })], 0);
    await store.appendToStream('b-1', [event('Created', { text: 'ünïcode ✓' })], 'no_stream');
    const events = await stored(store);
    expect(events.map((e) => e.position)).toEqual([1, 2, 3, 4]);
    expectChained(events);
    await store.close();
  });

  it('given appends in one group commit, some of which fail, then the committed ones form one unbroken chain in position order', async () => {
    const store = SqliteEventStore.open(newFile());
    const first = event('Created');
    await store.appendToStream('s-1', [first], 'no_stream');
    // Asked for in one turn of the event loop: committed together, each failure rolled back in its own savepoint,
    // the second one after it had written (and hashed) an event.
    const results = await Promise.allSettled([
      store.appendToStream('s-2', [event('Created'), event('Renamed')], 'no_stream'),
      store.appendToStream('s-1', [event('Renamed')], 7),
      store.appendToStream('s-4', [event('Created'), { ...event('Renamed'), id: first.id }], 'no_stream'),
      store.appendToStream('s-3', [event('Created')], 'no_stream'),
      store.appendToStream('s-1', [event('Renamed')], 0),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
    expect((results[2] as PromiseRejectedResult).reason.message).toMatch(/already exists/);
    const events = await stored(store);
    expect(events).toHaveLength(5);
    expectChained(events);
    expect((await verifyLog(store)).ok).toBe(true);
    await store.close();
  });

  it("given two stores on one file appending at once, then each chains from the other's last commit", async () => {
    const file = newFile();
    const a = SqliteEventStore.open(file);
    const b = SqliteEventStore.open(file);
    for (let round = 0; round < 5; round++) {
      await Promise.all([
        a.appendToStream(`a-${round}`, [event('Created'), event('Renamed')], 'no_stream'),
        b.appendToStream(`b-${round}`, [event('Created')], 'no_stream'),
      ]);
    }
    const events = await stored(a);
    expect(events).toHaveLength(15);
    expectChained(events);
    await a.close();
    await b.close();
  });

  it('given a chained log, then readers see the events as before: no hash in their data or metadata', async () => {
    const store = SqliteEventStore.open(newFile());
    const appended = event('Created', { name: 'kept' });
    await store.appendToStream('r-1', [appended], 'no_stream');
    const [read] = await store.readAll();
    expect(read!.data).toEqual({ name: 'kept' });
    expect(read!.metadata).toEqual(appended.metadata);
    expect(Object.keys(read!).sort()).toEqual([
      'createdAt',
      'data',
      'id',
      'metadata',
      'position',
      'revision',
      'streamName',
      'type',
    ]);
    await store.close();
  });

  it('given a log written before the chain, when the store opens it and appends, then old rows keep no hash and the chain starts at genesis', async () => {
    const file = newFile();
    const legacy = new Database(file);
    legacy.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, stream TEXT NOT NULL,
      revision INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (stream, revision))`);
    legacy
      .prepare(
        'INSERT INTO events (id, stream, revision, type, data, metadata, created_at) VALUES (?, ?, 0, ?, ?, ?, ?)',
      )
      .run(randomUUID(), 'old-1', 'Created', '{}', JSON.stringify(event('x').metadata), new Date().toISOString());
    legacy.close();

    const store = SqliteEventStore.open(file);
    await store.appendToStream('old-1', [event('Renamed')], 0);
    await store.appendToStream('new-1', [event('Created')], 'no_stream');
    const [old, ...chained] = await stored(store);
    expect(old!.hash).toBeNull();
    expectChained(chained, GENESIS_HASH);
    const verdict = await verifyLog(store);
    expect(verdict.ok).toBe(true);
    expect(verdict.verifier).toMatchObject({ count: 3, unhashed: 1, headHash: chained[1]!.hash });
    await store.close();
  });

  it('given a stored event edited by one byte, then verifying the log fails at its position', async () => {
    const file = newFile();
    const store = SqliteEventStore.open(file);
    for (let i = 0; i < 5; i++)
      await store.appendToStream(`t-${i}`, [event('Created', { name: `name ${i}` })], 'no_stream');
    await store.close();
    const raw = new Database(file);
    raw.prepare("UPDATE events SET data = replace(data, 'name 3', 'name 4') WHERE position = 4").run();
    raw.close();

    const reopened = SqliteEventStore.open(file);
    const verdict = await verifyLog(reopened);
    expect(verdict).toMatchObject({ ok: false, failure: { position: 4 } });
    await reopened.close();
  });
});

describe('the canonical encoding', () => {
  const fields = {
    id: 'e-1',
    stream: 's-1',
    revision: 0,
    type: 'T',
    data: '{"a":"é"}',
    metadata: '{"m":1}',
    time: '2026-01-01T00:00:00.000Z',
  };

  it('is the short fields and byte lengths as a JSON line, then data and metadata as stored', () => {
    expect(canonicalEvent(fields)).toBe('["e-1","s-1",0,"T","2026-01-01T00:00:00.000Z",10,7]\n{"a":"é"}\n{"m":1}');
    expect(chainHash(GENESIS_HASH, fields)).toBe(
      createHash('sha256')
        .update(GENESIS_HASH + canonicalEvent(fields))
        .digest('hex'),
    );
  });

  it('is the same hash of the same encoding for a large event (hashed in parts) as for a small one', () => {
    const large = { ...fields, data: JSON.stringify({ text: 'ü'.repeat(40_000) }) };
    expect(chainHash(GENESIS_HASH, large)).toBe(
      createHash('sha256')
        .update(GENESIS_HASH + canonicalEvent(large))
        .digest('hex'),
    );
  });

  it('tells apart events whose data and metadata would join into the same text', () => {
    const shifted = { ...fields, data: '{"a":"é"}\n{"m":1}', metadata: '' };
    expect(canonicalEvent(shifted)).not.toBe(canonicalEvent(fields));
    expect(chainHash(GENESIS_HASH, shifted)).not.toBe(chainHash(GENESIS_HASH, fields));
  });
});
