/**
 * The projection runner stuck on an event: given a batch whose middle event one projection throws on,
 * the events before it are applied and checkpointed, the failure is stored once (logged once across
 * retries), and once the event applies (a fixed projection) the runner goes on and clears the failure.
 */
import { randomUUID } from 'node:crypto';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { MemoryPubSub } from '../../src/infra/pubsub/memory.js';
import type { ReadStore } from '../../src/infra/readstore/port.js';
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import { storedFailures } from '../../src/projections/shared/projection-failure.js';
import type { Projection } from '../../src/projections/shared/projection.js';
import { ProjectionProgress } from '../../src/projections/shared/progress.js';
import { CHECKPOINTS, PROJECTIONS_CHECKPOINT, ProjectionRunner } from '../../src/projections/shared/runner.js';

const event = (type: string) => ({
  id: randomUUID(),
  type,
  data: {},
  metadata: {
    actorId: null,
    actorType: 'system' as const,
    correlationId: randomUUID(),
    causationId: null,
    ip: null,
    userAgent: null,
    schemaVersion: 1,
  },
});

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('projection runner: a projection throwing on one event', () => {
  let store: SqliteEventStore;
  let db: SqliteReadStore;
  let runner: ProjectionRunner;
  afterEach(async () => {
    await runner.stop();
    await store.close();
    await db.close();
  });

  it('given A, Poison, B in one batch, then A is applied and checkpointed, the runner stops before Poison and goes on once it applies', async () => {
    store = SqliteEventStore.open(':memory:');
    db = SqliteReadStore.open(':memory:');
    let broken = true;
    const seen = (name: string) => async (e: { type: string; position: number }, into: ReadStore) => {
      await into.collection(name).updateOne({ _id: e.type }, { $set: { position: e.position } }, { upsert: true });
    };
    const tolerant: Projection = {
      name: 'tolerant',
      collections: ['tolerant'],
      handles: 'all',
      apply: seen('tolerant'),
    };
    const picky: Projection = {
      name: 'picky',
      collections: ['picky'],
      handles: ['A', 'Poison', 'B'],
      async apply(e, into) {
        if (e.type === 'Poison' && broken) throw new Error('cannot apply this one');
        await seen('picky')(e, into);
      },
    };
    await store.appendToStream('things-1', [event('A'), event('Poison'), event('B')], 'no_stream');
    const errors: Error[] = [];
    const progress = new ProjectionProgress();
    runner = new ProjectionRunner(store, db, [picky, tolerant], progress, new MemoryPubSub(), (err) =>
      errors.push(err),
    );
    await runner.start();

    const checkpoints = db.collection(CHECKPOINTS);
    await until(
      'three failed attempts',
      async () => ((await storedFailures(checkpoints, PROJECTIONS_CHECKPOINT)).counts.picky ?? 0) >= 3,
    );
    expect((await checkpoints.findOne({ _id: PROJECTIONS_CHECKPOINT }))!.position).toBe(1);
    expect(progress.position).toBe(1);
    await expect(db.collection('picky').find({})).resolves.toEqual([{ _id: 'A', position: 1 }]);
    expect((await storedFailures(checkpoints, PROJECTIONS_CHECKPOINT)).failure).toMatchObject({
      projection: 'picky',
      position: 2,
      event_type: 'Poison',
      error: 'cannot apply this one',
    });
    expect(errors.map((e) => e.message)).toEqual([
      'Projection picky failed on event 2 (Poison): cannot apply this one',
    ]);

    broken = false;
    await expect(progress.waitFor(3, 10_000)).resolves.toBe(true);
    await until(
      'the failure cleared',
      async () => (await storedFailures(checkpoints, PROJECTIONS_CHECKPOINT)).failure === null,
    );
    await expect(db.collection('picky').find({}, { sort: { position: 1 } })).resolves.toEqual([
      { _id: 'A', position: 1 },
      { _id: 'Poison', position: 2 },
      { _id: 'B', position: 3 },
    ]);
    expect((await storedFailures(checkpoints, PROJECTIONS_CHECKPOINT)).counts.picky).toBeGreaterThanOrEqual(3);
    expect(errors).toHaveLength(1);
  });
});
