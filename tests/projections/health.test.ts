/**
 * Projection lag means the same on every event store: the age of the oldest event the read models have
 * not applied, not a difference of positions (EventStoreDB's are byte offsets in its transaction log).
 */
import type { EventStore, ReadAllOptions, RecordedEvent } from '../../src/infra/eventstore/port.js';
import type { ReadStore } from '../../src/infra/readstore/port.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { health, isReady, READY_MAX_LAG_MS } from '../../src/projections/shared/health.js';
import { ProjectionProgress } from '../../src/projections/shared/progress.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
/** A reachable read store holding no projection failure. */
const reachable = { ping: async () => {}, collection: () => ({ findOne: async () => null }) } as unknown as ReadStore;

/** An event log positioned as EventStoreDB positions it: commit positions are byte offsets, ~1 MB apart for chunk events. */
function byteOffsetLog(events: { position: number; createdAt: Date }[]): EventStore {
  const recorded = events.map((e, i): RecordedEvent => ({
    id: `e${i}`,
    type: 'DocumentChunksAdded',
    data: {},
    streamName: 'document-1',
    revision: i,
    position: e.position,
    createdAt: e.createdAt,
    metadata: {
      actorId: null,
      actorType: 'system',
      correlationId: 'c',
      causationId: null,
      ip: null,
      userAgent: null,
      schemaVersion: 1,
    },
  }));
  return {
    ping: async () => {},
    headPosition: async () => recorded.at(-1)?.position ?? 0,
    readAll: async ({ after = 0, maxCount = Infinity }: ReadAllOptions = {}) =>
      recorded.filter((e) => e.position > after).slice(0, maxCount),
  } as unknown as EventStore;
}

const progressAt = (position: number) => {
  const progress = new ProjectionProgress(5000, NOW - 86_400_000); // following the log since the day before
  progress.advance(position);
  return progress;
};

describe('projection lag', () => {
  it('given one chunk event just appended a megabyte further into an EventStoreDB log, then the lag is its age and the server is ready', async () => {
    const log = byteOffsetLog([
      { position: 4_000_000, createdAt: new Date(NOW - 60_000) },
      { position: 5_048_576, createdAt: new Date(NOW - 200) },
    ]);
    const h = await health(log, reachable, progressAt(4_000_000), NOW);
    expect(h).toMatchObject({ headPosition: 5_048_576, projectedPosition: 4_000_000, projectionLagMs: 200 });
    expect(isReady(h)).toBe(true);
  });

  it('given the oldest unprojected event waited longer than the bound, then not ready, however close the positions', async () => {
    const log = byteOffsetLog([
      { position: 100, createdAt: new Date(NOW - READY_MAX_LAG_MS - 60_000) },
      { position: 101, createdAt: new Date(NOW - 1_000) },
    ]);
    const h = await health(log, reachable, progressAt(99), NOW);
    expect(h.projectionLagMs).toBe(READY_MAX_LAG_MS + 60_000);
    expect(isReady(h)).toBe(false);
  });

  it('given read models at the head, then the lag is 0', async () => {
    const log = byteOffsetLog([{ position: 7_340_032, createdAt: new Date(NOW - 3_600_000) }]);
    const h = await health(log, reachable, progressAt(7_340_032), NOW);
    expect(h.projectionLagMs).toBe(0);
    expect(isReady(h)).toBe(true);
  });

  it('given events that were in the log when the process started still unapplied, then catching up and not ready, however young they are', async () => {
    const log = byteOffsetLog([
      { position: 10, createdAt: new Date(NOW - 1_000) },
      { position: 11, createdAt: new Date(NOW - 500) },
    ]);
    const progress = new ProjectionProgress(5000, NOW - 100); // started after both were written
    progress.advance(9);
    const h = await health(log, reachable, progress, NOW);
    expect(h).toMatchObject({ projectionLagMs: 1_000, catchingUp: true });
    expect(isReady(h)).toBe(false);
    progress.advance(11);
    expect(await health(log, reachable, progress, NOW)).toMatchObject({ projectionLagMs: 0, catchingUp: false });
  });

  it('given an unreadable log, then the lag is unknown and not ready', async () => {
    const log = {
      ...byteOffsetLog([]),
      ping: async () => {
        throw new Error('down');
      },
      headPosition: async () => {
        throw new Error('down');
      },
    } as EventStore;
    const h = await health(log, reachable, progressAt(0), NOW);
    expect(h).toMatchObject({ eventStore: 'unavailable', headPosition: null, projectionLagMs: null });
    expect(isReady(h)).toBe(false);
  });

  it('on the embedded store, the age of the first event after the projected position', async () => {
    const store = SqliteEventStore.open(':memory:');
    try {
      const metadata = {
        actorId: null,
        actorType: 'system' as const,
        correlationId: 'c',
        causationId: null,
        ip: null,
        userAgent: null,
        schemaVersion: 1,
      };
      const first = await store.appendToStream(
        'thing-1',
        [{ id: '00000000-0000-4000-8000-000000000001', type: 'ThingHappened', data: {}, metadata }],
        'no_stream',
      );
      await store.appendToStream(
        'thing-1',
        [{ id: '00000000-0000-4000-8000-000000000002', type: 'ThingHappened', data: {}, metadata }],
        0,
      );
      const [pending] = await store.readAll({ after: first.position, maxCount: 1 });
      const later = pending!.createdAt.getTime() + 2_500;
      expect((await health(store, reachable, progressAt(first.position), later)).projectionLagMs).toBe(2_500);
      expect((await health(store, reachable, progressAt(pending!.position), later)).projectionLagMs).toBe(0);
    } finally {
      await store.close();
    }
  });
});
