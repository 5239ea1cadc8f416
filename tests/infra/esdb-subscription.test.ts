/**
 * The EventStoreDB adapter's subscription against a client double (no server runs here): what it
 * retries, what it surfaces, and how much it hands the handler at once.
 */
import { Readable } from 'node:stream';
import {
  AccessDeniedError,
  InvalidArgumentError,
  NotLeaderError,
  UnavailableError,
  type EventStoreDBClient,
} from '@eventstore/db-client';
import { EsdbEventStore } from '../../src/infra/eventstore/esdb.js';
import { isTransient } from '../../src/infra/eventstore/esdb-errors.js';
import type { RecordedEvent } from '../../src/infra/eventstore/port.js';

const metadata = {
  actorId: null,
  actorType: 'system',
  correlationId: 'c',
  causationId: null,
  ip: null,
  userAgent: null,
  schemaVersion: 1,
};

function resolved(n: number, data: unknown = { n }) {
  const position = { commit: BigInt(n * 1000), prepare: BigInt(n * 1000) };
  return {
    event: {
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      type: 'ThingHappened',
      streamId: `thing-${n}`,
      revision: 0n,
      isJson: true,
      data,
      metadata,
      position,
      created: new Date(),
    },
  };
}

type Script = { fail?: Error; events?: ReturnType<typeof resolved>[]; confirm?: boolean };

/** A client whose n-th subscription plays the n-th script: events, then an error or nothing more. */
function scriptedClient(scripts: Script[]) {
  const calls: number[] = [];
  const client = {
    subscribeToAll() {
      const script = scripts[calls.length] ?? {};
      calls.push(calls.length);
      const sub = Object.assign(new Readable({ objectMode: true, read() {} }), { unsubscribe: async () => {} });
      process.nextTick(() => {
        if (script.confirm) sub.emit('confirmation');
        for (const e of script.events ?? []) sub.push(e);
        if (script.fail) setImmediate(() => sub.destroy(script.fail));
      });
      return sub;
    },
    readAll: () => [],
    dispose: async () => {},
  };
  return { client: client as unknown as EventStoreDBClient, calls };
}

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
};

describe('EventStoreDB subscription errors', () => {
  it('tells transient errors (unavailable, not leader, a reset socket) from those no retry cures (access denied, a bad filter)', () => {
    expect(isTransient(new UnavailableError(undefined, 'down'))).toBe(true);
    expect(
      isTransient(
        new NotLeaderError({
          metadata: { getMap: () => ({ 'leader-endpoint-host': 'node2', 'leader-endpoint-port': '2113' }) },
        } as never),
      ),
    ).toBe(true);
    expect(isTransient(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient(new AccessDeniedError(undefined, 'Access denied'))).toBe(false);
    expect(isTransient(new InvalidArgumentError('bad regex'))).toBe(false);
  });

  it('given the connection drops twice, then it resubscribes with backoff, counts the retries, and the handler sees every event once', async () => {
    const { client, calls } = scriptedClient([
      { events: [resolved(1)], fail: new UnavailableError(undefined, 'server restarting') },
      { fail: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) },
      { events: [resolved(1), resolved(2)] },
    ]);
    const retried: string[] = [];
    const store = new EsdbEventStore(client, { onRetry: (err) => retried.push(err.message) });
    const seen: number[] = [];
    const errors: Error[] = [];
    store.subscribeToAll(
      {},
      async (events) => {
        seen.push(...events.map((e) => e.data.n));
      },
      (err) => errors.push(err),
    );
    await until(() => seen.length === 2);
    expect(seen).toEqual([1, 2]);
    expect(calls).toHaveLength(3);
    expect(retried).toEqual(['server restarting', 'read ECONNRESET']);
    expect(store.subscriptionErrors()).toEqual({ retried: 2, failed: 0 });
    expect(errors).toEqual([]);
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
  });

  it('given access denied, then it stops retrying, reports the error, counts it, and ping fails until a subscription works again', async () => {
    const denied = new AccessDeniedError(undefined, 'Access denied');
    const { client, calls } = scriptedClient([{ fail: denied }, { confirm: true }]);
    const store = new EsdbEventStore(client);
    const errors: Error[] = [];
    store.subscribeToAll(
      {},
      async () => {},
      (err) => errors.push(err),
    );
    await until(() => errors.length === 1);
    expect(errors).toEqual([denied]);
    expect(calls).toHaveLength(1);
    expect(store.subscriptionErrors()).toEqual({ retried: 0, failed: 1 });
    await expect(store.ping()).rejects.toThrow('Access denied');

    // The caller starts over (as the checkpointed subscriber does); once the server accepts, the store is healthy again.
    store.subscribeToAll({}, async () => {});
    await until(() => calls.length === 2);
    await new Promise((r) => setTimeout(r, 20)); // the confirmation is emitted on the next tick
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
  });
});

describe('EventStoreDB subscription batches', () => {
  it('given a catch-up of megabyte events, then each batch handed over holds about 16 MB at most, all in order', async () => {
    const big = 'x'.repeat(1024 * 1024);
    const events = Array.from({ length: 40 }, (_, i) => resolved(i + 1, { n: i + 1, text: big }));
    const { client } = scriptedClient([{ events }]);
    const store = new EsdbEventStore(client);
    const batches: RecordedEvent[][] = [];
    store.subscribeToAll({}, async (batch) => {
      batches.push(batch);
    });
    await until(() => batches.flat().length === 40);
    expect(batches.flat().map((e) => e.data.n)).toEqual(events.map((_, i) => i + 1));
    for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(16);
    expect(batches.length).toBeGreaterThanOrEqual(3);
    await store.close();
  });
});
