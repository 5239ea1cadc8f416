/**
 * The EventStore port's contract, run against every adapter that can be started.
 * Stream names and event types carry a random suffix so the suite can share one EventStoreDB with
 * other runs: reads of $all are always bounded by `after` and filtered to this test's streams.
 */
import { randomUUID } from 'node:crypto';
import { verifyLog } from '../../src/audit/verify-log.js';
import {
  AppendTooLargeError,
  appendBytes,
  chainHash,
  ConcurrencyError,
  MAX_APPEND_BYTES,
  type EventMetadata,
  type EventStore,
  type EventToAppend,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../../src/infra/eventstore/port.js';

const metadata = (): EventMetadata => ({
  actorId: '1',
  actorType: 'user',
  correlationId: randomUUID(),
  causationId: null,
  ip: '127.0.0.1',
  userAgent: 'contract-test',
  schemaVersion: 1,
});

const event = (type: string, data: Record<string, unknown> = {}): EventToAppend => ({
  id: randomUUID(),
  type,
  data,
  metadata: metadata(),
});

const suffix = () => randomUUID().replace(/-/g, '');
const newStream = (category = 'contract') => `${category}-${suffix()}`;
const newType = (name: string) => `${name}_${suffix()}`;

const tick = () => new Promise((resolve) => setImmediate(resolve));
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds; the timeout only turns a hang into a readable failure. */
async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(10);
  }
}

/** Subscribes and records what arrives for the given streams (others sharing the store are ignored). */
function subscribeAndRecord(store: EventStore, options: SubscribeOptions, streams: readonly string[]) {
  const received: RecordedEvent[] = [];
  const batches: number[] = [];
  const errors: Error[] = [];
  const subscription = store.subscribeToAll(
    options,
    async (events) => {
      const mine = events.filter((e) => streams.includes(e.streamName));
      received.push(...mine);
      batches.push(events.length);
    },
    (err) => errors.push(err),
  );
  return { received, batches, errors, subscription };
}

export function describeEventStoreContract(name: string, open: () => Promise<EventStore>): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    const subscriptions: Subscription[] = [];
    const track = <S extends Subscription>(s: S): S => (subscriptions.push(s), s);
    const record = (on: EventStore, options: SubscribeOptions, streams: readonly string[]) => {
      const recording = subscribeAndRecord(on, options, streams);
      track(recording.subscription); // closing twice is harmless
      return recording;
    };

    beforeEach(async () => {
      store = await open();
    });

    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((s) => s.close()));
      await store.close();
    });

    describe('appendToStream', () => {
      it('given no stream, when appending with no_stream, then the stream is created from revision 0', async () => {
        const stream = newStream();
        const first = event('ThingCreated', { name: 'a' });
        const second = event('ThingRenamed', { name: 'b' });

        const result = await store.appendToStream(stream, [first, second], 'no_stream');

        expect(result.nextExpectedRevision).toBe(1);
        const stored = await store.readStream(stream);
        expect(stored.map((e) => [e.id, e.type, e.data, e.metadata, e.streamName, e.revision])).toEqual([
          [first.id, 'ThingCreated', { name: 'a' }, first.metadata, stream, 0],
          [second.id, 'ThingRenamed', { name: 'b' }, second.metadata, stream, 1],
        ]);
        expect(stored[1]!.position).toBe(result.position);
        expect(stored[0]!.position).toBeLessThan(stored[1]!.position);
        expect(stored[0]!.createdAt).toBeInstanceOf(Date);
        expect(Number.isNaN(stored[0]!.createdAt.getTime())).toBe(false);
      });

      it('given an existing stream, when appending with no_stream, then it throws ConcurrencyError and appends nothing', async () => {
        const stream = newStream();
        await store.appendToStream(stream, [event('ThingCreated')], 'no_stream');

        const attempt = store.appendToStream(stream, [event('ThingCreated')], 'no_stream');

        await expect(attempt).rejects.toBeInstanceOf(ConcurrencyError);
        await expect(attempt).rejects.toMatchObject({ stream, expected: 'no_stream', actual: 0 });
        expect(await store.readStream(stream)).toHaveLength(1);
      });

      it('given a stream at revision 1, when appending at expected revision 1, then it appends after it', async () => {
        const stream = newStream();
        await store.appendToStream(stream, [event('A'), event('B')], 'no_stream');

        const result = await store.appendToStream(stream, [event('C')], 1);

        expect(result.nextExpectedRevision).toBe(2);
        expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['A', 'B', 'C']);
      });

      it('given a stream at revision 1, when appending at a stale revision, then it throws ConcurrencyError with the actual revision and appends nothing', async () => {
        const stream = newStream();
        await store.appendToStream(stream, [event('A'), event('B')], 'no_stream');

        const attempt = store.appendToStream(stream, [event('C')], 0);

        await expect(attempt).rejects.toBeInstanceOf(ConcurrencyError);
        await expect(attempt).rejects.toMatchObject({ stream, expected: 0, actual: 1 });
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('given no stream, when appending at an exact revision, then it throws ConcurrencyError with actual no_stream', async () => {
        const stream = newStream();

        const attempt = store.appendToStream(stream, [event('A')], 0);

        await expect(attempt).rejects.toMatchObject({ name: 'ConcurrencyError', actual: 'no_stream' });
        expect(await store.readStream(stream)).toEqual([]);
      });

      it('given any stream state, when appending with any, then it appends without a check', async () => {
        const stream = newStream();

        const created = await store.appendToStream(stream, [event('A')], 'any');
        const appended = await store.appendToStream(stream, [event('B')], 'any');

        expect(created.nextExpectedRevision).toBe(0);
        expect(appended.nextExpectedRevision).toBe(1);
        expect(appended.position).toBeGreaterThan(created.position);
      });

      it('given a batch already appended, when it is appended again with the same expected revision, then the first result comes back and nothing is added', async () => {
        const stream = newStream();
        const batch = [event('A'), event('B')];
        const first = await store.appendToStream(stream, batch, 'no_stream');

        const retried = await store.appendToStream(stream, batch, 'no_stream');

        expect(retried).toEqual(first);
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('given a batch appended and more events after it, when the batch is retried with its now stale expected revision, then the first result comes back', async () => {
        const stream = newStream();
        await store.appendToStream(stream, [event('A')], 'no_stream');
        const batch = [event('B'), event('C')];
        const first = await store.appendToStream(stream, batch, 0);
        await store.appendToStream(stream, [event('D')], 2);

        const retried = await store.appendToStream(stream, batch, 0);

        expect(retried).toEqual(first);
        expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['A', 'B', 'C', 'D']);
      });

      it('given a batch appended, when a batch that only partly overlaps it is appended, then it throws and appends nothing', async () => {
        const stream = newStream();
        const a = event('A');
        const b = event('B');
        await store.appendToStream(stream, [a, b], 'no_stream');

        const attempt = store.appendToStream(stream, [b, event('C')], 0);

        await expect(attempt).rejects.toBeInstanceOf(ConcurrencyError);
        expect((await store.readStream(stream)).map((e) => e.id)).toEqual([a.id, b.id]);
      });

      it('given appends to several streams, then their global positions strictly increase', async () => {
        const streams = [newStream(), newStream(), newStream()];
        const head = await store.headPosition();
        const positions: number[] = [];

        for (let round = 0; round < 3; round++) {
          for (const stream of streams) {
            const result = await store.appendToStream(
              stream,
              [event('Tick', { round })],
              round === 0 ? 'no_stream' : round - 1,
            );
            positions.push(result.position);
          }
        }

        for (let i = 1; i < positions.length; i++) expect(positions[i]!).toBeGreaterThan(positions[i - 1]!);
        const read = (await store.readAll({ after: head })).filter((e) => streams.includes(e.streamName));
        expect(read.map((e) => e.position)).toEqual(positions);
      });

      it('given one stream revision, when 20 appends race at that expected revision, then exactly one succeeds', async () => {
        const stream = newStream();
        await store.appendToStream(stream, [event('A')], 'no_stream');

        const outcomes = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => store.appendToStream(stream, [event('Raced', { i })], 0)),
        );

        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(19);
        for (const o of lost) expect(o.reason).toBeInstanceOf(ConcurrencyError);
        expect(await store.readStream(stream)).toHaveLength(2);
      });
    });

    describe('append size', () => {
      it('given events whose data and metadata pass MAX_APPEND_BYTES in UTF-8 bytes (not in characters), when appended, then AppendTooLargeError and nothing is written', async () => {
        const stream = newStream();
        const cyrillic = 'щ'.repeat(300_000); // 300,000 characters, 600,000 bytes
        const events = [event('ChunkAdded', { text: cyrillic }), event('ChunkAdded', { text: cyrillic })];
        expect(appendBytes(events)).toBeGreaterThan(MAX_APPEND_BYTES);

        await expect(store.appendToStream(stream, events, 'no_stream')).rejects.toBeInstanceOf(AppendTooLargeError);
        expect(await store.readStream(stream)).toEqual([]);
      });

      it('given an append under MAX_APPEND_BYTES, then it is written whole', async () => {
        const stream = newStream();
        const probe = event('ChunkAdded', { text: '' });
        const text = 'ж'.repeat((MAX_APPEND_BYTES - 1024 - appendBytes([probe])) / 2);
        const big = { ...probe, data: { text } };
        expect(appendBytes([big])).toBeLessThanOrEqual(MAX_APPEND_BYTES);

        await store.appendToStream(stream, [big], 'no_stream');
        expect((await store.readStream(stream))[0]!.data).toEqual({ text });
      });
    });

    describe('readStream', () => {
      let stream: string;
      beforeEach(async () => {
        stream = newStream();
        await store.appendToStream(
          stream,
          [0, 1, 2, 3, 4].map((n) => event('Numbered', { n })),
          'no_stream',
        );
      });
      const revisions = (events: RecordedEvent[]) => events.map((e) => e.revision);

      it('reads forwards by default', async () => {
        expect(revisions(await store.readStream(stream))).toEqual([0, 1, 2, 3, 4]);
      });

      it('reads backwards from the end', async () => {
        expect(revisions(await store.readStream(stream, { direction: 'backwards' }))).toEqual([4, 3, 2, 1, 0]);
      });

      it('reads forwards from a revision, inclusive', async () => {
        expect(revisions(await store.readStream(stream, { fromRevision: 2 }))).toEqual([2, 3, 4]);
      });

      it('reads backwards from a revision, inclusive', async () => {
        expect(revisions(await store.readStream(stream, { direction: 'backwards', fromRevision: 2 }))).toEqual([
          2, 1, 0,
        ]);
      });

      it('reads at most maxCount events, in either direction', async () => {
        expect(revisions(await store.readStream(stream, { maxCount: 2 }))).toEqual([0, 1]);
        expect(revisions(await store.readStream(stream, { direction: 'backwards', maxCount: 2 }))).toEqual([4, 3]);
        expect(revisions(await store.readStream(stream, { fromRevision: 1, maxCount: 2 }))).toEqual([1, 2]);
      });

      it('returns [] for a stream that does not exist', async () => {
        expect(await store.readStream(newStream('missing'))).toEqual([]);
        expect(await store.readStream(newStream('missing'), { direction: 'backwards' })).toEqual([]);
      });
    });

    describe('readAll', () => {
      it('given events, when reading after a position, then that position is excluded', async () => {
        const stream = newStream();
        const head = await store.headPosition();
        await store.appendToStream(stream, [event('A'), event('B'), event('C')], 'no_stream');

        const all = (await store.readAll({ after: head })).filter((e) => e.streamName === stream);
        const later = (await store.readAll({ after: all[0]!.position })).filter((e) => e.streamName === stream);

        expect(all.map((e) => e.type)).toEqual(['A', 'B', 'C']);
        expect(later.map((e) => e.type)).toEqual(['B', 'C']);
      });

      it('given events, when reading lean (a replay), then every field reads the same as in a full read, and so does the JSON', async () => {
        const stream = newStream();
        const head = await store.headPosition();
        await store.appendToStream(stream, [event('A', { n: 1, nested: { s: 'x' } }), event('B')], 'no_stream');

        const full = (await store.readAll({ after: head })).filter((e) => e.streamName === stream);
        const lean = (await store.readAll({ after: head, lean: true })).filter((e) => e.streamName === stream);

        const fields = (e: RecordedEvent) => ({
          id: e.id,
          type: e.type,
          data: e.data,
          metadata: e.metadata,
          streamName: e.streamName,
          revision: e.revision,
          position: e.position,
          createdAt: e.createdAt,
        });
        expect(lean.map(fields)).toEqual(full.map(fields));
        expect(lean[0]!.createdAt).toBeInstanceOf(Date);
        expect(lean[0]!.metadata).toBe(lean[0]!.metadata); // parsed once, the same object on every read
        expect(JSON.parse(JSON.stringify(lean))).toEqual(JSON.parse(JSON.stringify(full)));
      });

      it('given events of several types, when reading some types, then only those come back, in order', async () => {
        const [wanted, also, other] = [newType('Wanted'), newType('Also'), newType('Other')];
        const stream = newStream();
        const head = await store.headPosition();
        await store.appendToStream(
          stream,
          [event(wanted), event(other), event(also), event(other), event(wanted)],
          'no_stream',
        );

        const read = await store.readAll({ after: head, types: [wanted, also] });

        expect(read.map((e) => [e.type, e.revision])).toEqual([
          [wanted, 0],
          [also, 2],
          [wanted, 4],
        ]);
      });

      it('given upTo, when reading, then no event after that position comes back, with or without types', async () => {
        const type = newType('Bounded');
        const other = newType('Unbounded');
        const head = await store.headPosition();
        await store.appendToStream(newStream(), [event(type, { n: 1 }), event(other, { n: 2 })], 'no_stream');
        const { position: middle } = await store.appendToStream(newStream(), [event(type, { n: 3 })], 'no_stream');
        await store.appendToStream(newStream(), [event(type, { n: 4 })], 'no_stream');

        const all = (await store.readAll({ after: head, upTo: middle })).filter(
          (e) => e.type === type || e.type === other,
        );
        const typed = await store.readAll({ after: head, upTo: middle, types: [type] });

        expect(all.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
        expect(typed.map((e) => e.data)).toEqual([{ n: 1 }, { n: 3 }]);
        expect(await store.readAll({ after: middle, upTo: middle })).toEqual([]);
      });

      it('given dataEquals, when reading, then only events whose data field has that value come back, within the other bounds', async () => {
        const type = newType('Scoped');
        const other = newType('Unscoped');
        const stream = newStream();
        const head = await store.headPosition();
        await store.appendToStream(
          stream,
          [
            event(type, { workspaceId: 7, n: 1 }),
            event(type, { workspaceId: 8, n: 2 }),
            event(other, { workspaceId: 7, n: 3 }),
            event(type, { n: 4 }),
            event(type, { workspaceId: '7', n: 5 }),
            event(type, { workspaceId: 7, n: 6 }),
            event(type, { workspaceId: 7, n: 7 }),
          ],
          'no_stream',
        );
        const written = (await store.readAll({ after: head })).filter((e) => e.streamName === stream);
        const ofSeven = { field: 'workspaceId', value: 7 };

        const any = (await store.readAll({ after: head, dataEquals: ofSeven })).filter((e) => e.streamName === stream);
        const typed = await store.readAll({ after: head, types: [type], dataEquals: ofSeven });
        const bounded = await store.readAll({
          after: written[0]!.position,
          upTo: written[5]!.position,
          types: [type],
          dataEquals: ofSeven,
        });
        const counted = await store.readAll({ after: head, types: [type], dataEquals: ofSeven, maxCount: 2 });
        const text = await store.readAll({
          after: head,
          types: [type],
          dataEquals: { field: 'workspaceId', value: '7' },
        });

        expect(any.map((e) => e.data.n)).toEqual([1, 3, 6, 7]);
        expect(typed.map((e) => e.data.n)).toEqual([1, 6, 7]);
        expect(bounded.map((e) => e.data.n)).toEqual([6]);
        expect(counted.map((e) => e.data.n)).toEqual([1, 6]);
        expect(text.map((e) => e.data.n)).toEqual([5]);
      });

      it('given more events than maxCount, when reading, then the first maxCount come back', async () => {
        const type = newType('Counted');
        const stream = newStream();
        const head = await store.headPosition();
        await store.appendToStream(
          stream,
          [1, 2, 3, 4].map((n) => event(type, { n })),
          'no_stream',
        );

        const read = await store.readAll({ after: head, types: [type], maxCount: 2 });

        expect(read.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
      });

      it('given maxBytes, when reading, then events come back until their data and metadata reach it, at least one', async () => {
        const type = newType('Sized');
        const stream = newStream();
        const head = await store.headPosition();
        const text = 'é'.repeat(50_000); // 100,000 bytes of UTF-8 per event
        await store.appendToStream(
          stream,
          [1, 2, 3, 4, 5].map((n) => event(type, { n, text })),
          'no_stream',
        );

        const within = await store.readAll({ after: head, types: [type], maxBytes: 250_000 });
        expect(within.map((e) => e.data.n)).toEqual([1, 2, 3]);
        const one = await store.readAll({ after: head, types: [type], maxBytes: 1 });
        expect(one.map((e) => e.data.n)).toEqual([1]);
        const counted = await store.readAll({ after: head, types: [type], maxBytes: 10_000_000, maxCount: 2 });
        expect(counted.map((e) => e.data.n)).toEqual([1, 2]);
      });

      it('headPosition reaches the position of the last append, and ping answers', async () => {
        const result = await store.appendToStream(newStream(), [event('A')], 'no_stream');

        expect(await store.headPosition()).toBeGreaterThanOrEqual(result.position);
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });

    describe('subscribeToAll', () => {
      it('given past events, when subscribing, then it catches up and then delivers live appends, in order', async () => {
        const stream = newStream();
        const head = await store.headPosition();
        await store.appendToStream(stream, [event('A', { n: 0 }), event('A', { n: 1 })], 'no_stream');
        const sub = record(store, { after: head }, [stream]);

        await waitFor(() => sub.received.length === 2, 'catch-up');
        await store.appendToStream(stream, [event('A', { n: 2 })], 1);
        await store.appendToStream(stream, [event('A', { n: 3 }), event('A', { n: 4 })], 2);
        await waitFor(() => sub.received.length === 5, 'live events');

        expect(sub.received.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
        expect(sub.received.map((e) => e.data)).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
        expect(sub.errors).toEqual([]);
      });

      it('awaits the handler: batches never overlap and arrive in position order', async () => {
        const streams = [newStream(), newStream()];
        const head = await store.headPosition();
        let inFlight = 0;
        let maxInFlight = 0;
        const received: RecordedEvent[] = [];
        track(
          store.subscribeToAll({ after: head }, async (events) => {
            inFlight += 1;
            maxInFlight = Math.max(maxInFlight, inFlight);
            await pause(2); // give an overlapping delivery the chance to show up
            received.push(...events.filter((e) => streams.includes(e.streamName)));
            inFlight -= 1;
          }),
        );

        for (let i = 0; i < 10; i++) {
          await store.appendToStream(
            streams[i % 2]!,
            [event('Step', { i })],
            i < 2 ? 'no_stream' : Math.floor(i / 2) - 1,
          );
        }
        await waitFor(() => received.length === 10, 'all events');

        expect(maxInFlight).toBe(1);
        expect(received.map((e) => e.data)).toEqual(Array.from({ length: 10 }, (_, i) => ({ i })));
        for (let i = 1; i < received.length; i++)
          expect(received[i]!.position).toBeGreaterThan(received[i - 1]!.position);
      });

      it('given a types filter, then only events of those types are delivered', async () => {
        const [wanted, other] = [newType('Wanted'), newType('Other')];
        const stream = newStream();
        const head = await store.headPosition();
        await store.appendToStream(stream, [event(wanted), event(other)], 'no_stream');
        const sub = record(store, { after: head, types: [wanted] }, [stream]);

        await waitFor(() => sub.received.length === 1, 'catch-up');
        await store.appendToStream(stream, [event(other), event(wanted)], 1);
        await waitFor(() => sub.received.length === 2, 'live event');

        expect(sub.received.map((e) => [e.type, e.revision])).toEqual([
          [wanted, 0],
          [wanted, 3],
        ]);
      });

      it('given an after position, then events at or before it are not delivered', async () => {
        const stream = newStream();
        await store.appendToStream(stream, [event('A'), event('B'), event('C')], 'no_stream');
        const [first] = await store.readStream(stream, { maxCount: 1 });
        const sub = record(store, { after: first!.position }, [stream]);

        await waitFor(() => sub.received.length === 2, 'events after the position');

        expect(sub.received.map((e) => e.type)).toEqual(['B', 'C']);
      });

      it('when closed, then nothing more is delivered', async () => {
        const stream = newStream();
        const head = await store.headPosition();
        await store.appendToStream(stream, [event('A')], 'no_stream');
        const closing = record(store, { after: head }, [stream]);
        await waitFor(() => closing.received.length === 1, 'first event');

        await closing.subscription.close();
        const witness = record(store, { after: head }, [stream]);
        await store.appendToStream(stream, [event('B')], 0);
        await waitFor(() => witness.received.length === 2, 'the witness to see the later event');

        expect(closing.received.map((e) => e.type)).toEqual(['A']);
      });

      it('close waits for the batch in flight', async () => {
        const stream = newStream();
        const head = await store.headPosition();
        await store.appendToStream(stream, [event('A')], 'no_stream');
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let started = false;
        const subscription = store.subscribeToAll({ after: head }, async (events) => {
          if (!events.some((e) => e.streamName === stream)) return;
          started = true;
          await gate;
        });
        await waitFor(() => started, 'the handler to start');

        let closed = false;
        const closing = subscription.close().then(() => (closed = true));
        await tick();
        expect(closed).toBe(false);
        release();
        await closing;
        expect(closed).toBe(true);
      });

      it('given a handler that fails, then the subscription stops and reports the error', async () => {
        const stream = newStream();
        const head = await store.headPosition();
        await store.appendToStream(stream, [event('A')], 'no_stream');
        const failure = new Error('projection failed');
        let calls = 0;
        const errors: Error[] = [];
        track(
          store.subscribeToAll(
            { after: head },
            async (events) => {
              if (!events.some((e) => e.streamName === stream)) return;
              calls += 1;
              throw failure;
            },
            (err) => errors.push(err),
          ),
        );
        await waitFor(() => errors.length === 1, 'onError');

        const witness = record(store, { after: head }, [stream]);
        await store.appendToStream(stream, [event('B')], 0);
        await waitFor(() => witness.received.length === 2, 'the witness to see the later event');

        expect(errors).toEqual([failure]);
        expect(calls).toBe(1);
      });
    });

    describe('hash chain', () => {
      it('given events appended, when the chain is kept, then they are read back as stored, linked, and the log verifies', async () => {
        const errors: Error[] = [];
        const keeper = store.keepChain?.((err) => errors.push(err)); // where the adapter chains after appending
        try {
          const stream = newStream();
          const created = event('ThingCreated', { name: 'ä ✓' });
          const { position } = await store.appendToStream(stream, [created, event('ThingRenamed')], 'no_stream');
          const deadline = Date.now() + 10_000;
          while (((await store.chainHead())?.position ?? 0) < position) {
            if (Date.now() > deadline) throw new Error('timed out waiting for the chain to reach the append');
            await pause(20);
          }

          const [first] = await store.readStream(stream);
          const stored = await store.readStored({ after: first!.position - 1, maxCount: 2 });
          expect(stored.map((e) => [e.position, e.id, e.stream, e.revision, e.type])).toEqual([
            [first!.position, created.id, stream, 0, 'ThingCreated'],
            [position, expect.any(String), stream, 1, 'ThingRenamed'],
          ]);
          expect(JSON.parse(stored[0]!.data)).toEqual({ name: 'ä ✓' });
          expect(stored[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
          expect(stored[1]!.hash).toBe(chainHash(stored[0]!.hash!, stored[1]!));
          expect(await verifyLog(store)).toMatchObject({ ok: true });
          expect(errors).toEqual([]);
        } finally {
          await keeper?.stop();
        }
      });
    });
  });
}
