import { buildSchema, type ExecutionResult, parse } from 'graphql';
import { sharedEvents, subscribeSharingExecution } from '../../src/graphql/shared/shared-execution.js';

/** A subscription whose source the test feeds by hand (each fed object is a root `{ events }`), and a field that counts how often it is resolved. */
function setup() {
  const schema = buildSchema(
    'type Query { ok: Boolean } type Event { n: Int, seen: Int } type Subscription { events: Event }',
  );
  let resolved = 0;
  const feeds: Array<(event: object) => void> = [];
  let returned = 0;
  const rootValue = {
    events: () => {
      const queue: object[] = [];
      let wake: (() => void) | null = null;
      feeds.push((event) => {
        queue.push(event);
        wake?.();
      });
      const source: AsyncIterableIterator<unknown> = {
        async next() {
          while (queue.length === 0) await new Promise<void>((r) => (wake = r));
          return { done: false, value: queue.shift() };
        },
        async return() {
          returned++;
          return { done: true, value: undefined };
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
      return source;
    },
  };
  const seen = (event: { n: number }) => {
    resolved++;
    return event.n;
  };
  const subscribe = async (query: string, variables?: Record<string, unknown>) =>
    (await subscribeSharingExecution({
      schema,
      document: parse(query),
      rootValue,
      variableValues: variables,
    })) as AsyncIterableIterator<ExecutionResult>;
  return { subscribe, feeds, seen, resolved: () => resolved, returned: () => returned };
}

describe('subscribeSharingExecution', () => {
  it('given two subscribers of the same operation, when both are handed the same event object, then it is executed once and both get its result', async () => {
    const t = setup();
    const a = await t.subscribe('subscription { events { n seen } }');
    const b = await t.subscribe('subscription { events { n seen } }');
    const event = { n: 7, seen: () => t.seen(event) };
    const root = { events: event };
    t.feeds.forEach((feed) => feed(root));
    const [ra, rb] = await Promise.all([a.next(), b.next()]);
    expect(ra.value).toEqual({ data: { events: { n: 7, seen: 7 } } });
    expect(rb.value).toEqual(ra.value);
    expect(t.resolved()).toBe(1);
  });

  it('given equal but distinct event objects, or different selections, when delivered, then each is executed on its own', async () => {
    const t = setup();
    const a = await t.subscribe('subscription { events { n seen } }');
    const b = await t.subscribe('subscription { events { seen } }');
    const c = await t.subscribe('subscription { events { n seen } }');
    const shared = { n: 1, seen: () => t.seen(shared) };
    const own = { n: 1, seen: () => t.seen(own) };
    const sharedRoot = { events: shared };
    t.feeds[0](sharedRoot);
    t.feeds[1](sharedRoot);
    t.feeds[2]({ events: own });
    const [ra, rb, rc] = await Promise.all([a.next(), b.next(), c.next()]);
    expect(ra.value).toEqual({ data: { events: { n: 1, seen: 1 } } });
    expect(rb.value).toEqual({ data: { events: { seen: 1 } } });
    expect(rc.value).toEqual(ra.value);
    expect(t.resolved()).toBe(3);
  });

  it('when a subscriber leaves while waiting for its next event, then its source is closed at once', async () => {
    const t = setup();
    const a = await t.subscribe('subscription { events { n } }');
    const pending = a.next();
    await a.return!();
    expect(t.returned()).toBe(1);
    t.feeds[0]({ events: { n: 1 } }); // lets the pending next() settle so nothing is left waiting
    await pending;
  });
});

describe('sharedEvents', () => {
  it('hands out one object per key while its basis is the same, and a new one once the basis changed', () => {
    const eventFor = sharedEvents<number, { v: number }>(2);
    const v1 = {};
    const first = eventFor(1, v1, () => ({ v: 1 }));
    expect(eventFor(1, v1, () => ({ v: 99 }))).toBe(first);
    expect(eventFor(1, {}, () => ({ v: 2 }))).toEqual({ v: 2 });
    eventFor(2, v1, () => ({ v: 3 }));
    eventFor(3, v1, () => ({ v: 4 }));
    expect(eventFor(1, v1, () => ({ v: 5 }))).toEqual({ v: 5 }); // the oldest key was let go (capacity 2)
  });
});
