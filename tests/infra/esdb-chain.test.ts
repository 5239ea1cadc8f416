/**
 * The EventStoreDB adapter's hash chain, over a client double (no server runs here; the double keeps
 * what the client's documentation says the server does): the adapter seals its events into a system
 * stream the port never shows, and answers audits from the seals.
 */
import { verifyLog } from '../../src/audit/verify-log.js';
import { SEAL_EVENTS } from '../../src/infra/eventstore/chain-sealer.js';
import { CHAIN_STREAM } from '../../src/infra/eventstore/esdb-chain.js';
import { EsdbEventStore } from '../../src/infra/eventstore/esdb.js';
import { GENESIS_HASH, chainHash } from '../../src/infra/eventstore/port.js';
import { EsdbClientDouble } from '../support/esdb-client-double.js';
import { systemEvent } from '../support/events.js';

const keepers: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(keepers.splice(0).map((k) => k.stop()));
});

function keepChain(store: EsdbEventStore, errors: Error[] = []) {
  const keeper = store.keepChain((err) => errors.push(err));
  keepers.push(keeper);
  return keeper;
}

async function chainedUpTo(store: EsdbEventStore, position: number): Promise<void> {
  while (((await store.chainHead())?.position ?? 0) < position) await new Promise((r) => setTimeout(r, 10));
}

async function appendMany(store: EsdbEventStore, streams: number, perStream: number): Promise<number> {
  let position = 0;
  for (let s = 0; s < streams; s++) {
    const events = Array.from({ length: perStream }, (_, n) => systemEvent('ThingHappened', { s, n }));
    ({ position } = await store.appendToStream(`thing-${s}`, events, 'no_stream'));
  }
  return position;
}

describe('the EventStoreDB hash chain', () => {
  it('given events written, when the chain is kept, then every event is read back with its link, in $all order, and verify passes', async () => {
    const server = new EsdbClientDouble();
    const store = new EsdbEventStore(server.asClient());
    server.systemRecord();
    const head = await appendMany(store, 3, 4);
    server.systemRecord();
    keepChain(store);
    await chainedUpTo(store, head);

    const stored = await store.readStored({ maxCount: 100 });
    const ours = server.records.filter((r) => !r.streamId.startsWith('$'));
    expect(stored.map((e) => e.position)).toEqual(ours.map((r) => Number(r.position.commit)));
    let previous = GENESIS_HASH;
    for (const e of stored) expect(e.hash).toBe((previous = chainHash(previous, e)));
    expect(stored[0]).toMatchObject({ stream: 'thing-0', revision: 0, type: 'ThingHappened', data: '{"s":0,"n":0}' });
    expect(await store.chainHead()).toEqual({ position: head, hash: previous });
    expect(await verifyLog(store)).toMatchObject({ ok: true, verifier: { count: 12, lastPosition: head } });
  });

  it('given the chain kept, then its seals stay out of sight: reads and the head show only our events', async () => {
    const server = new EsdbClientDouble();
    const store = new EsdbEventStore(server.asClient());
    const head = await appendMany(store, 2, 2);
    keepChain(store);
    await chainedUpTo(store, head);

    expect(server.records.some((r) => r.streamId === CHAIN_STREAM)).toBe(true);
    expect(server.records.at(-1)!.streamId).toBe(CHAIN_STREAM);
    expect((await store.readAll()).map((e) => e.streamName)).toEqual(['thing-0', 'thing-0', 'thing-1', 'thing-1']);
    expect(await store.readStream(CHAIN_STREAM)).toEqual([]);
    expect(await store.headPosition()).toBe(head);
  });

  it('given more events than one read page and one seal, with system records between them, then all are chained once', async () => {
    const server = new EsdbClientDouble();
    const store = new EsdbEventStore(server.asClient());
    let head = 0;
    for (let round = 0; round < 5; round++) {
      head = (await store.appendToStream(`bulk-${round}`, bulk(500), 'no_stream')).position;
      server.systemRecord();
    }
    keepChain(store);
    await chainedUpTo(store, head);

    const seals = server.records.filter((r) => r.streamId === CHAIN_STREAM).map((r) => JSON.parse(r.data));
    expect(seals.map((s) => s.positions.length)).toEqual([SEAL_EVENTS, 500]);
    expect(await verifyLog(store)).toMatchObject({ ok: true, verifier: { count: 2500 } });
  });

  it('given many system records after the chain head, then an idle sealer reads past them once, not on every poll', async () => {
    const server = new EsdbClientDouble();
    const store = new EsdbEventStore(server.asClient());
    const head = await appendMany(store, 1, 2);
    keepChain(store);
    await chainedUpTo(store, head);
    for (let i = 0; i < 300; i++) server.systemRecord();
    const from = server.allReads.length;
    while (server.allReads.length < from + 4) await new Promise((r) => setTimeout(r, 10)); // four polls

    const polls = server.allReads.slice(from);
    expect(Math.max(...polls)).toBeGreaterThanOrEqual(300); // the new records, read once
    expect(polls.slice(-2).every((n) => n <= 1)).toBe(true); // then only where it stopped
  });

  it('given two processes keeping the chain of one log, then it does not fork', async () => {
    const server = new EsdbClientDouble();
    const [a, b] = [new EsdbEventStore(server.asClient()), new EsdbEventStore(server.asClient())];
    const errors: Error[] = [];
    keepChain(a, errors);
    keepChain(b, errors);
    let head = 0;
    for (let s = 0; s < 20; s++) {
      head = (await (s % 2 ? a : b).appendToStream(`thing-${s}`, bulk(3), 'no_stream')).position;
      await new Promise((r) => setTimeout(r, 20));
    }
    await chainedUpTo(a, head);

    const sealed = server.records
      .filter((r) => r.streamId === CHAIN_STREAM)
      .flatMap((r) => JSON.parse(r.data).positions as number[]);
    expect(sealed).toHaveLength(60);
    expect(new Set(sealed).size).toBe(60);
    expect(await verifyLog(b)).toMatchObject({ ok: true, verifier: { count: 60 } });
    expect(errors).toEqual([]);
  });

  it("given one byte of a sealed event's data edited in the server's files, then verify fails at that event", async () => {
    const server = new EsdbClientDouble();
    const store = new EsdbEventStore(server.asClient());
    const head = await appendMany(store, 2, 3);
    keepChain(store);
    await chainedUpTo(store, head);
    await Promise.all(keepers.splice(0).map((k) => k.stop()));

    const edited = server.records[4]!;
    edited.data = edited.data.replace('"n":1', '"n":7');
    expect(await verifyLog(store)).toMatchObject({
      ok: false,
      failure: { position: Number(edited.position.commit), reason: expect.stringContaining('does not match') },
    });
  });

  it('given a seal removed from its stream, then reading the chain fails naming it', async () => {
    const server = new EsdbClientDouble();
    const store = new EsdbEventStore(server.asClient());
    keepChain(store);
    for (const stream of ['thing-1', 'thing-2']) {
      const { position } = await store.appendToStream(stream, bulk(1), 'no_stream');
      await chainedUpTo(store, position); // one seal each
    }
    await Promise.all(keepers.splice(0).map((k) => k.stop()));

    server.records.splice(
      server.records.findIndex((r) => r.streamId === CHAIN_STREAM),
      1,
    );
    await expect(verifyLog(store)).rejects.toThrow(/seal at revision 0 is missing/);
  });
});

function bulk(n: number) {
  return Array.from({ length: n }, (_, i) => systemEvent('Bulk', { i }));
}
