/**
 * Replay fencing: while a replay holds the lease, projectors apply nothing and cannot move the
 * checkpoint, and a second replay is refused; afterwards projectors take up from the replay's checkpoint.
 */
import { registerUser } from '../../src/commands/identity/register.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { MemoryPubSub } from '../../src/infra/pubsub/memory.js';
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import type { RecordedEvent } from '../../src/infra/eventstore/port.js';
import { ALL_PROJECTIONS } from '../../src/projections/all.js';
import { rebuildReadModels } from '../../src/projections/replay.js';
import { CheckpointedSubscriber } from '../../src/projections/shared/checkpointed-subscriber.js';
import { ProjectionProgress } from '../../src/projections/shared/progress.js';
import {
  acquireReplayLease,
  LEASE_SEEN_WITHIN_MS,
  ReplayLeaseHeld,
} from '../../src/projections/shared/replay-lease.js';
import { CHECKPOINTS, PROJECTIONS_CHECKPOINT, ProjectionRunner } from '../../src/projections/shared/runner.js';
import { findUser } from '../../src/projections/users/queries.js';
import { commandCtx } from '../support/context.js';

const password = 'Correct-Horse-42';
const registration = (name: string) => ({
  username: name,
  email: `${name}@example.com`,
  password,
  password_confirm: password,
});
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('replay lease', () => {
  let store: SqliteEventStore;
  let db: SqliteReadStore;
  const errors: Error[] = [];

  beforeEach(() => {
    store = SqliteEventStore.open(':memory:');
    db = SqliteReadStore.open(':memory:');
    errors.length = 0;
  });
  afterEach(async () => {
    await store.close();
    await db.close();
  });

  it('given a replay holding the lease, when another replay starts, then it is refused and nothing is rebuilt', async () => {
    const lease = await acquireReplayLease(db);
    await expect(rebuildReadModels(store, db, ALL_PROJECTIONS)).rejects.toBeInstanceOf(ReplayLeaseHeld);
    expect(await db.listCollections()).not.toContainEqual(expect.stringContaining('__rebuild'));
    await lease.release();
    await expect(rebuildReadModels(store, db, ALL_PROJECTIONS)).resolves.toMatchObject({ events: 0 });
  });

  it('given a replay that took the lease, then it rebuilds at once but switches only once projectors have had time to see the lease', async () => {
    const { userId } = await registerUser(store, registration('eve'), commandCtx());
    const pages: number[] = [];
    const readAll = store.readAll.bind(store);
    store.readAll = async (options) => {
      const page = await readAll(options);
      pages.push(page.length);
      return page;
    };
    // Only the timers: the store's write-behind and the promises run as they would.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask', 'Date', 'performance', 'hrtime'] });
    try {
      const replay = rebuildReadModels(store, db, ALL_PROJECTIONS);
      for (let turn = 0; turn < 1_000 && !pages.includes(0); turn++) await new Promise((r) => setImmediate(r));
      expect(pages).toEqual([expect.any(Number), 0]); // the whole log read while the lease's wait runs
      expect(await findUser(db, userId)).toBeNull(); // not switched in yet

      await jest.advanceTimersByTimeAsync(LEASE_SEEN_WITHIN_MS);
      await expect(replay).resolves.toMatchObject({ events: pages[0] });
      expect(await findUser(db, userId)).toMatchObject({ username: 'eve' });
    } finally {
      jest.useRealTimers();
    }
  });

  it('given a lapsed lease (its replay died), then the next replay takes it over', async () => {
    let clock = Date.now();
    await acquireReplayLease(db, 1_000, () => clock);
    clock += 5_000;
    const second = await acquireReplayLease(db, 1_000, () => clock);
    await second.release();
  });

  it('given a running projector, while a replay holds the lease, then it applies nothing; once released it catches up', async () => {
    const progress = new ProjectionProgress();
    const runner = new ProjectionRunner(store, db, ALL_PROJECTIONS, progress, new MemoryPubSub(), (err) =>
      errors.push(err),
    );
    await runner.start();
    try {
      const lease = await acquireReplayLease(db);
      const { userId, position } = await registerUser(store, registration('ada'), commandCtx());
      expect(await progress.waitFor(position, 1_500)).toBe(false);
      expect(await findUser(db, userId)).toBeNull();
      await lease.release();
      expect(await progress.waitFor(position, 10_000)).toBe(true);
      expect(await findUser(db, userId)).toMatchObject({ username: 'ada' });
      expect(errors).toEqual([]);
    } finally {
      await runner.stop();
    }
  });

  it('given a batch begun before the replay fenced the checkpoint, then that batch cannot move it; after the fence the subscriber takes up from it', async () => {
    const checkpoints = db.collection(CHECKPOINTS);
    let letGo!: () => void;
    const held = new Promise<void>((resolve) => (letGo = resolve));
    const handled: number[][] = [];
    const subscriber = new CheckpointedSubscriber({
      name: PROJECTIONS_CHECKPOINT,
      store,
      checkpoints,
      onError: (err) => errors.push(err),
      async handle(events: RecordedEvent[]) {
        handled.push(events.map((e) => e.position));
        if (handled.length === 1) await held;
      },
    });
    const { position } = await registerUser(store, registration('bob'), commandCtx());
    await subscriber.start();
    try {
      while (handled.length === 0) await settle(10);
      // The replay takes the lease and fences the checkpoint while the batch is in flight, then switches at `position`.
      await checkpoints.updateOne(
        { _id: PROJECTIONS_CHECKPOINT },
        { $set: { fenced: 'replay-1', position: 0 } },
        { upsert: true },
      );
      letGo();
      await settle(300);
      expect(await subscriber.checkpoint()).toBe(0);
      await checkpoints.updateOne({ _id: PROJECTIONS_CHECKPOINT }, { $set: { position }, $unset: { fenced: '' } });
      const later = await registerUser(store, registration('cyd'), commandCtx());
      while ((await subscriber.checkpoint()) < later.position) await settle(20);
      expect(handled.at(-1)).not.toContain(position); // taken up after the replay's checkpoint, not before it
      expect(errors).toEqual([]);
    } finally {
      await subscriber.stop();
    }
  });
});
