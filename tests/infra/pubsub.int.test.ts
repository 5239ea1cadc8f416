import { MemoryPubSub } from '../../src/infra/pubsub/memory.js';
import type { PubSub } from '../../src/infra/pubsub/port.js';
import { RedisPubSub } from '../../src/infra/pubsub/redis.js';
import { collector, describePubSubContract, uniqueChannel } from './pubsub.contract.js';

/** Set by tests/setup/global-setup.ts (a throwaway redis-server) unless given from outside. */
function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: tests/setup/global-setup.ts should have started redis-server');
  return url;
}

describePubSubContract('in memory', async () => new MemoryPubSub());

describePubSubContract('redis', () => RedisPubSub.connect(redisUrl()));

describe('RedisPubSub across instances (as across processes)', () => {
  let first: PubSub;
  let second: PubSub;

  beforeAll(async () => {
    first = await RedisPubSub.connect(redisUrl());
    second = await RedisPubSub.connect(redisUrl());
  });

  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
  });

  it('each instance receives what the other publishes', async () => {
    const channel = uniqueChannel('cross');
    const atFirst = collector();
    const atSecond = collector();
    await first.subscribe(channel, atFirst.handler);
    await second.subscribe(channel, atSecond.handler);

    await first.publish(channel, { from: 'first' });
    await second.publish(channel, { from: 'second' });

    // Different publisher connections: the two messages may interleave differently per receiver.
    const sortByFrom = (ms: unknown[]) => [...ms].sort((a: any, b: any) => a.from.localeCompare(b.from));
    expect(sortByFrom(await atFirst.until(2))).toEqual([{ from: 'first' }, { from: 'second' }]);
    expect(sortByFrom(await atSecond.until(2))).toEqual([{ from: 'first' }, { from: 'second' }]);
  });

  it('a subscription is active in Redis once subscribe resolves', async () => {
    const channel = uniqueChannel('confirmed');
    const got = collector();
    await first.subscribe(channel, got.handler);
    await second.publish(channel, 'right away');
    await expect(got.until(1)).resolves.toEqual(['right away']);
  });

  it('refuses to connect to an unreachable Redis instead of retrying forever', async () => {
    await expect(RedisPubSub.connect('redis://127.0.0.1:1')).rejects.toThrow(/ECONNREFUSED/);
  });
});
