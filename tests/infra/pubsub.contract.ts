/**
 * Contract every PubSub adapter must meet. Absence of a message is checked without sleeping:
 * a later message that must arrive after it (same connection, same order) is awaited instead.
 */
import type { PubSub } from '../../src/infra/pubsub/port.js';

let counter = 0;
const runId = `${process.pid}_${Date.now().toString(36)}`;
/** A channel no other test (or earlier run against a shared Redis) uses. */
export const uniqueChannel = (label: string) => `test:${runId}:${label}:${++counter}`;

/** Collects messages; `until(n)` resolves once n have arrived, or fails after a generous deadline. */
export function collector() {
  const messages: unknown[] = [];
  let waiters: Array<() => void> = [];
  const handler = (message: unknown) => {
    messages.push(message);
    const ready = waiters;
    waiters = [];
    ready.forEach((wake) => wake());
  };
  async function until(count: number, deadlineMs = 10_000): Promise<unknown[]> {
    const deadline = Date.now() + deadlineMs;
    while (messages.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} messages, got ${messages.length}: ${JSON.stringify(messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return messages;
  }
  return { messages, handler, until };
}

export function describePubSubContract(name: string, open: () => Promise<PubSub>): void {
  describe(`PubSub contract: ${name}`, () => {
    let pubsub: PubSub;

    beforeAll(async () => {
      pubsub = await open();
    });

    afterAll(async () => {
      await pubsub?.close();
    });

    it('delivers a message published right after subscribe resolves, as plain JSON data', async () => {
      const channel = uniqueChannel('delivery');
      const got = collector();
      await pubsub.subscribe(channel, got.handler);
      const sent = { type: 'WorkspaceCreated', position: 42, at: new Date(0), tags: ['a'], nested: { ok: true } };
      await pubsub.publish(channel, sent);
      await expect(got.until(1)).resolves.toEqual([
        { type: 'WorkspaceCreated', position: 42, at: '1970-01-01T00:00:00.000Z', tags: ['a'], nested: { ok: true } },
      ]);
    });

    it('delivers strings, numbers, null and arrays too', async () => {
      const channel = uniqueChannel('scalars');
      const got = collector();
      await pubsub.subscribe(channel, got.handler);
      for (const message of ['text', 7, null, [1, 'two']]) await pubsub.publish(channel, message);
      await expect(got.until(4)).resolves.toEqual(['text', 7, null, [1, 'two']]);
    });

    it('delivers every message to every subscriber of the channel', async () => {
      const channel = uniqueChannel('fanout');
      const subscribers = [collector(), collector(), collector()];
      for (const s of subscribers) await pubsub.subscribe(channel, s.handler);
      await pubsub.publish(channel, { n: 1 });
      await pubsub.publish(channel, { n: 2 });
      for (const s of subscribers) await expect(s.until(2)).resolves.toEqual([{ n: 1 }, { n: 2 }]);
    });

    it('stops delivering to a handler once its unsubscribe resolves, and keeps the others', async () => {
      const channel = uniqueChannel('unsub');
      const leaving = collector();
      const staying = collector();
      const unsubscribe = await pubsub.subscribe(channel, leaving.handler);
      await pubsub.subscribe(channel, staying.handler);
      await pubsub.publish(channel, 'before');
      await leaving.until(1);
      await staying.until(1);

      await unsubscribe();
      await unsubscribe(); // twice is harmless
      await pubsub.publish(channel, 'after');
      await staying.until(2);
      expect(leaving.messages).toEqual(['before']);
      expect(staying.messages).toEqual(['before', 'after']);
    });

    it('stops delivering on a channel whose last handler left', async () => {
      const channel = uniqueChannel('last');
      const sentinel = uniqueChannel('sentinel');
      const leaving = collector();
      const witness = collector();
      const unsubscribe = await pubsub.subscribe(channel, leaving.handler);
      await pubsub.subscribe(sentinel, witness.handler);
      await unsubscribe();
      await pubsub.publish(channel, 'lost');
      await pubsub.publish(sentinel, 'after');
      await witness.until(1);
      expect(leaving.messages).toEqual([]);

      // Subscribing again works.
      const back = collector();
      await pubsub.subscribe(channel, back.handler);
      await pubsub.publish(channel, 'again');
      await expect(back.until(1)).resolves.toEqual(['again']);
    });

    it('keeps channels apart', async () => {
      const a = uniqueChannel('a');
      const b = uniqueChannel('b');
      const gotA = collector();
      const gotB = collector();
      await pubsub.subscribe(a, gotA.handler);
      await pubsub.subscribe(b, gotB.handler);
      await pubsub.publish(a, 'for a');
      await pubsub.publish(b, 'for b');
      await pubsub.publish(a, 'a again');
      await gotA.until(2);
      await gotB.until(1);
      // 'a again' was published after 'for b', so anything misrouted to b would have arrived by now.
      expect(gotA.messages).toEqual(['for a', 'a again']);
      expect(gotB.messages).toEqual(['for b']);
    });

    it('preserves publish order, even when publishes are not awaited one by one', async () => {
      const channel = uniqueChannel('order');
      const got = collector();
      await pubsub.subscribe(channel, got.handler);
      const count = 200;
      await Promise.all(Array.from({ length: count }, (_, i) => pubsub.publish(channel, { i })));
      const messages = await got.until(count);
      expect(messages).toEqual(Array.from({ length: count }, (_, i) => ({ i })));
    });

    it('a throwing handler is reported and does not stop delivery to the others', async () => {
      const channel = uniqueChannel('throws');
      const report = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const got = collector();
        await pubsub.subscribe(channel, () => {
          throw new Error('handler bug');
        });
        await pubsub.subscribe(channel, got.handler);
        await pubsub.publish(channel, 'one');
        await pubsub.publish(channel, 'two');
        await expect(got.until(2)).resolves.toEqual(['one', 'two']);
        expect(report).toHaveBeenCalled();
      } finally {
        report.mockRestore();
      }
    });
  });
}
