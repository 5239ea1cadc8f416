/**
 * The sealed hash chain (EventStoreDB's): a sealer links the log's events after they are written and
 * keeps the links in seals; readers get each event with its sealed hash. Here over a log and a stream of
 * seals in memory, so every way a log can be edited can be tried.
 */
import { verifyLog } from '../../src/audit/verify-log.js';
import { ChainSealer, SEAL_EVENTS } from '../../src/infra/eventstore/chain-sealer.js';
import {
  type ChainEvent,
  type RevisedSeal,
  type Seal,
  type SealStream,
  parseSeal,
} from '../../src/infra/eventstore/chain-seals.js';
import {
  ConcurrencyError,
  type EventStore,
  GENESIS_HASH,
  type StoredEvent,
  chainHash,
} from '../../src/infra/eventstore/port.js';
import { SealedLog } from '../../src/infra/eventstore/sealed-log.js';

/** Seals kept as appended, refused at any revision but the next; `failNext` makes appends fail once each. */
class MemorySeals implements SealStream {
  readonly seals: Seal[] = [];
  failNext = 0;
  reads = 0;

  async last(): Promise<RevisedSeal | null> {
    const revision = this.seals.length - 1;
    return revision < 0 ? null : { revision, seal: this.seals[revision]! };
  }

  async at(revision: number): Promise<Seal | null> {
    this.reads += 1;
    return this.seals[revision] ?? null;
  }

  async append(seal: Seal, expected: number | 'no_stream'): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve)); // another sealer may get in first
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('unavailable');
    }
    const actual = this.seals.length - 1;
    if ((expected === 'no_stream' ? -1 : expected) !== actual)
      throw new ConcurrencyError('$chain', expected, actual < 0 ? 'no_stream' : actual);
    this.seals.push(structuredClone(seal));
  }
}

/** A log in memory: positions 10 apart (as EventStoreDB's are not consecutive). */
class MemoryLog {
  events: ChainEvent[] = [];

  append(n: number, type = 'ThingHappened'): ChainEvent[] {
    const from = this.events.at(-1)?.position ?? 0;
    const added = Array.from({ length: n }, (_, i) => {
      const position = from + 10 * (i + 1);
      return {
        position,
        id: `id-${position}`,
        stream: `thing-${position % 3}`,
        revision: position,
        type,
        data: JSON.stringify({ position }),
        metadata: '{"actorType":"system"}',
        time: new Date(1_800_000_000_000 + position).toISOString(),
      };
    });
    this.events.push(...added);
    return added;
  }

  source = (after: number): AsyncIterable<ChainEvent> => {
    const events = this.events;
    return (async function* () {
      for (const e of events) if (e.position > after) yield { ...e };
    })();
  };
}

function setUp() {
  const log = new MemoryLog();
  const seals = new MemorySeals();
  const sealed = new SealedLog(seals, log.source);
  const errors: Error[] = [];
  const sealers: ChainSealer[] = [];
  const startSealer = () => {
    const sealer = new ChainSealer(seals, log.source, (err) => errors.push(err), 5);
    sealers.push(sealer);
    return sealer;
  };
  const store = {
    readStored: (options) => sealed.readStored(options),
    chainHead: () => sealed.head(),
    headPosition: async () => log.events.at(-1)?.position ?? 0,
    chainedFromFirstEvent: true,
  } as EventStore;
  const chainedUpTo = async (position: number) => {
    while (((await sealed.head())?.position ?? 0) < position) await new Promise((r) => setTimeout(r, 5));
  };
  const stop = () => Promise.all(sealers.map((s) => s.stop()));
  return { log, seals, sealed, store, errors, startSealer, chainedUpTo, stop };
}

async function readAll(sealed: SealedLog, pageSize = 100): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (let after = 0; ;) {
    const page = await sealed.readStored({ after, maxCount: pageSize });
    out.push(...page);
    if (page.length < pageSize) return out;
    after = page.at(-1)!.position;
  }
}

/** What every hash must be: the chain recomputed from genesis over the log's own fields. */
function expectedHashes(events: ChainEvent[]): string[] {
  let previous = GENESIS_HASH;
  return events.map((e) => (previous = chainHash(previous, e)));
}

describe('the sealed hash chain', () => {
  it('given events in the log, when a sealer runs, then each is read back with the hash chained from genesis in log order', async () => {
    const { log, sealed, store, startSealer, chainedUpTo, stop } = setUp();
    log.append(5);
    startSealer();
    await chainedUpTo(50);
    log.append(3);
    await chainedUpTo(80);
    await stop();

    const stored = await readAll(sealed);
    expect(stored.map((e) => e.position)).toEqual(log.events.map((e) => e.position));
    expect(stored.map((e) => e.hash)).toEqual(expectedHashes(log.events));
    expect(await store.chainHead()).toEqual({ position: 80, hash: stored.at(-1)!.hash });
    expect(await verifyLog(store)).toMatchObject({ ok: true, verifier: { count: 8, lastPosition: 80 } });
  });

  it('given more events than one seal holds, then they are sealed in runs, each chaining from the one before', async () => {
    const { log, seals, sealed, startSealer, chainedUpTo, stop } = setUp();
    log.append(SEAL_EVENTS * 2 + 5);
    startSealer();
    await chainedUpTo(log.events.at(-1)!.position);
    await stop();

    expect(seals.seals.map((s) => s.positions.length)).toEqual([SEAL_EVENTS, SEAL_EVENTS, 5]);
    for (let i = 1; i < seals.seals.length; i++) {
      const before = seals.seals[i - 1]!;
      expect(seals.seals[i]).toMatchObject({ after: before.positions.at(-1), previous: before.hashes.at(-1) });
    }
    expect((await readAll(sealed, 333)).map((e) => e.hash)).toEqual(expectedHashes(log.events));
  });

  it('given three sealers at once, then the chain does not fork: every event is sealed once, in order', async () => {
    const { log, seals, sealed, store, errors, startSealer, chainedUpTo, stop } = setUp();
    startSealer();
    startSealer();
    startSealer();
    for (let round = 0; round < 20; round++) {
      log.append(7);
      await new Promise((r) => setTimeout(r, 2));
    }
    await chainedUpTo(log.events.at(-1)!.position);
    await stop();

    const sealedPositions = seals.seals.flatMap((s) => s.positions);
    expect(sealedPositions).toEqual(log.events.map((e) => e.position));
    expect((await readAll(sealed)).map((e) => e.hash)).toEqual(expectedHashes(log.events));
    expect((await verifyLog(store)).ok).toBe(true);
    expect(errors).toEqual([]);
  });

  it('given an append that fails, then the sealer reports it, and seals the same events once the store answers again', async () => {
    const { log, seals, store, errors, startSealer, chainedUpTo, stop } = setUp();
    seals.failNext = 2;
    log.append(4);
    startSealer();
    await chainedUpTo(40);
    await stop();
    expect(errors.map((e) => e.message)).toEqual(['unavailable', 'unavailable']);
    expect(seals.seals.flatMap((s) => s.positions)).toEqual([10, 20, 30, 40]);
    expect((await verifyLog(store)).ok).toBe(true);
  });

  it('given seals refused at every revision read, then the sealer pauses between tries and reports it is stuck', async () => {
    const { log, errors } = setUp();
    log.append(2);
    let appends = 0;
    const refusing: SealStream = {
      last: async () => null,
      at: async () => null,
      append: async () => {
        appends += 1;
        throw new ConcurrencyError('$chain', 'no_stream', 4);
      },
    };
    const sealer = new ChainSealer(refusing, log.source, (err) => errors.push(err), 5);
    while (errors.length === 0) await new Promise((r) => setTimeout(r, 10)); // a busy loop would starve this timer
    await sealer.stop();
    expect(appends).toBe(20);
    expect(errors[0]!.message).toMatch(/keep being refused/);
  });

  it('given a sealer stopped while an append is failing, then it stops without reporting or retrying after', async () => {
    const { log } = setUp();
    log.append(2);
    const errors: Error[] = [];
    let fail: ((err: Error) => void) | undefined;
    const hanging: SealStream = {
      last: async () => null,
      at: async () => null,
      append: () => new Promise((_, reject) => (fail = reject)),
    };
    const sealer = new ChainSealer(hanging, log.source, (err) => errors.push(err), 5);
    while (!fail) await new Promise((r) => setTimeout(r, 5));
    const stopped = sealer.stop();
    fail!(new Error('unavailable'));
    await stopped;
    expect(errors).toEqual([]);
  });

  describe('read back', () => {
    it('given a read from any position, then it starts at the next event, with the same hashes as a read from the start', async () => {
      const { log, seals, sealed, startSealer, chainedUpTo, stop } = setUp();
      log.append(SEAL_EVENTS + 50);
      startSealer();
      await chainedUpTo(log.events.at(-1)!.position);
      await stop();
      const all = await readAll(sealed);
      for (const after of [0, 5, 10, 15, SEAL_EVENTS * 10 - 5, SEAL_EVENTS * 10, SEAL_EVENTS * 10 + 10, 20_490]) {
        const fresh = new SealedLog(seals, log.source); // no seal read yet
        const page = await fresh.readStored({ after, maxCount: 3 });
        expect(page).toEqual(all.filter((e) => e.position > after).slice(0, 3));
      }
    });

    it('given a read of some types, then only those come back, each with its own sealed hash', async () => {
      const { log, sealed, startSealer, chainedUpTo, stop } = setUp();
      log.append(3, 'A');
      log.append(3, 'B');
      log.append(3, 'A');
      startSealer();
      await chainedUpTo(90);
      await stop();
      const hashes = expectedHashes(log.events);
      const onlyB = await sealed.readStored({ maxCount: 100, types: ['B'] });
      expect(onlyB.map((e) => [e.position, e.hash])).toEqual([
        [40, hashes[3]],
        [50, hashes[4]],
        [60, hashes[5]],
      ]);
    });

    it('given events not sealed yet, then reads stop at the chain head and verify says nothing of them', async () => {
      const { log, sealed, store, startSealer, chainedUpTo, stop } = setUp();
      log.append(3);
      startSealer();
      await chainedUpTo(30);
      await stop();
      log.append(2);
      expect((await readAll(sealed)).map((e) => e.position)).toEqual([10, 20, 30]);
      expect(await sealed.readStored({ after: 30, maxCount: 10 })).toEqual([]);
      expect(await verifyLog(store)).toMatchObject({ ok: true, verifier: { lastPosition: 30 } });
    });

    it('given no seal yet, then nothing is chained', async () => {
      const { log, sealed, store } = setUp();
      log.append(3);
      expect(await sealed.readStored({ maxCount: 10 })).toEqual([]);
      expect(await store.chainHead()).toBeNull();
    });
  });

  describe('a log edited after it was sealed', () => {
    async function sealedLog(n = 6) {
      const context = setUp();
      context.log.append(n);
      context.startSealer();
      await context.chainedUpTo(n * 10);
      await context.stop();
      return context;
    }

    it("given one byte of one event's data changed, then verify fails at that event", async () => {
      const { log, store } = await sealedLog();
      log.events[2] = { ...log.events[2]!, data: log.events[2]!.data.replace('30', '31') };
      expect(await verifyLog(store)).toMatchObject({
        ok: false,
        failure: { position: 30, reason: expect.stringContaining('does not match') },
      });
    });

    it('given an event removed, then verify fails at the event after it', async () => {
      const { log, store } = await sealedLog();
      log.events.splice(2, 1);
      expect(await verifyLog(store)).toMatchObject({ ok: false, failure: { position: 40 } });
    });

    it('given the newest chained event removed, then verify fails: the chain head is missing', async () => {
      const { log, store } = await sealedLog();
      log.events.pop();
      expect(await verifyLog(store)).toMatchObject({
        ok: false,
        failure: { position: 60, reason: expect.stringContaining("chain's head is missing") },
      });
    });

    it('given an event slipped in between sealed ones, then verify fails at it: no seal names it', async () => {
      const { log, store } = await sealedLog();
      log.events.splice(3, 0, { ...log.events[2]!, position: 35, id: 'inserted' });
      expect(await verifyLog(store)).toMatchObject({
        ok: false,
        failure: { position: 35, reason: expect.stringContaining('has no hash') },
      });
    });

    it('given an event slipped in before the first sealed one, then verify fails at it: the chain starts at the first event', async () => {
      const { log, store } = await sealedLog();
      log.events.unshift({ ...log.events[0]!, position: 5, id: 'forged' });
      expect(await verifyLog(store)).toMatchObject({
        ok: false,
        failure: { position: 5, reason: expect.stringContaining('has no hash') },
      });
    });

    it('given a seal replaced by one that does not chain from the seal before it, then reading the chain fails naming it', async () => {
      const context = setUp();
      context.log.append(SEAL_EVENTS + 3);
      context.startSealer();
      await context.chainedUpTo(context.log.events.at(-1)!.position);
      await context.stop();
      context.seals.seals[1] = { ...context.seals.seals[1]!, previous: GENESIS_HASH };
      await expect(verifyLog(context.store)).rejects.toThrow(/seal at revision 1 does not follow the one before it/);
    });

    it('given two events swapped, then verify fails at the first out of place', async () => {
      const { log, store } = await sealedLog();
      const [a, b] = [log.events[1]!, log.events[2]!];
      log.events[1] = { ...b, position: a.position };
      log.events[2] = { ...a, position: b.position };
      expect(await verifyLog(store)).toMatchObject({ ok: false, failure: { position: 20 } });
    });
  });
});

describe('a seal read back', () => {
  const seal = { after: 0, previous: GENESIS_HASH, positions: [10, 20], hashes: [GENESIS_HASH, GENESIS_HASH] };

  it('given a well-formed seal, then it is taken as it is', () => {
    expect(parseSeal(seal, 0)).toEqual(seal);
  });

  it.each([
    ['not an object', 'x', /not an object/],
    ['a bad hash', { ...seal, hashes: [GENESIS_HASH, 'not a hash'] }, /a hash is not 64 hex/],
    ['positions that go back', { ...seal, positions: [20, 10] }, /positions do not increase/],
    ['a position at or before "after"', { ...seal, after: 10 }, /positions do not increase/],
    ['lists of two lengths', { ...seal, positions: [10] }, /two lists of one length/],
    ['no previous hash', { ...seal, previous: undefined }, /"previous" is not a hash/],
  ])('given %s, then reading fails naming the seal', (_, data, why) => {
    expect(() => parseSeal(data, 7)).toThrow(/seal at revision 7 is malformed/);
    expect(() => parseSeal(data, 7)).toThrow(why);
  });
});
