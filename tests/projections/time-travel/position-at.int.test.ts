import { SqliteEventStore } from '../../../src/infra/eventstore/sqlite.js';
import type { EventStore } from '../../../src/infra/eventstore/port.js';
import { positionAt } from '../../../src/projections/time-travel/position-at.js';
import { systemEvent } from '../../support/events.js';

describe('the position of an instant', () => {
  let store: EventStore;
  const at = (minute: number) => new Date(Date.UTC(2024, 0, 1, 0, minute));

  beforeAll(async () => {
    store = SqliteEventStore.open(':memory:');
    // Events at minutes 10, 20, ..., 100: positions 1..10.
    for (let i = 1; i <= 10; i++)
      await store.appendToStream(
        `thing-${i}`,
        [{ ...systemEvent('ThingHappened', {}), createdAt: at(i * 10) }],
        'no_stream',
      );
  });

  afterAll(() => store.close());

  it('given an empty log, then every instant is position 0', async () => {
    const empty = SqliteEventStore.open(':memory:');
    expect(await positionAt(empty, at(50))).toBe(0);
    await empty.close();
  });

  it.each([
    [5, 0], // before the first event: the empty state
    [10, 1], // at an event's own instant: it is included
    [15, 1],
    [55, 5],
    [99, 9],
    [100, 10],
    [500, 10], // in the future: the present
  ])('at minute %p it is position %p', async (minute, position) => {
    expect(await positionAt(store, at(minute))).toBe(position);
  });
});
