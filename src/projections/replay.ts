import type { EventStore } from '../infra/eventstore/port.js';
import type { Collection, CollectionOptions, Doc, ReadStore } from '../infra/readstore/port.js';
import type { Projection } from './shared/projection.js';
import { acquireReplayLease, LEASE_SEEN_WITHIN_MS } from './shared/replay-lease.js';
import { CHECKPOINTS, PROJECTIONS_CHECKPOINT, projectionApplier } from './shared/runner.js';
import { switchOver } from './switch-over.js';
import { SNAPSHOT_PROGRESS } from './time-travel/snapshotter.js';
import { dropSnapshots, takeSnapshot } from './time-travel/snapshots.js';

const BATCH = 5000;
/** A batch also ends at this many bytes of events: chunk events are up to ~1 MB, and 5,000 of them would be gigabytes. */
const BATCH_BYTES = 32 * 1024 * 1024;
const REBUILD_SUFFIX = '__rebuild';

/** The read store seen through other collection names: projections write into fresh collections unaware. */
function renamed(db: ReadStore, names: Map<string, string>): ReadStore {
  return {
    collection: <T extends Doc>(name: string, options?: CollectionOptions): Collection<T> =>
      db.collection<T>(names.get(name) ?? name, options),
    create: (name) => db.create(names.get(name) ?? name),
    drop: (name) => db.drop(names.get(name) ?? name),
    rename: (from, to) => db.rename(names.get(from) ?? from, names.get(to) ?? to),
    listCollections: () => db.listCollections(),
    flush: () => db.flush(),
    sync: () => db.sync(),
    purge: () => db.purge(),
    ping: () => db.ping(),
    close: () => db.close(),
  };
}

/** Snapshots a replay takes as it goes (time travel), in place of those taken before. */
export interface ReplaySnapshots {
  every: number;
  collections: readonly string[];
}

export interface ReplayResult {
  events: number;
  position: number;
}

/**
 * Rebuilds every read model from the whole event log into fresh collections, then switches them in
 * and moves the projection checkpoint to where the rebuild stopped; should the switch fail part way,
 * the old read models and their checkpoint stay. It holds the replay lease meanwhile: projectors pause
 * (every store), and a second replay is refused.
 */
export async function rebuildReadModels(
  store: EventStore,
  db: ReadStore,
  projections: readonly Projection[],
  onProgress: (position: number, head: number) => void = () => {},
  snapshots?: ReplaySnapshots,
): Promise<ReplayResult> {
  // Projectors pause while the lease is held; the fence keeps a batch they began before it from moving the checkpoint.
  const lease = await acquireReplayLease(db);
  const checkpoints = db.collection(CHECKPOINTS);
  let seenTimer: NodeJS.Timeout | undefined;
  try {
    await checkpoints.updateOne({ _id: PROJECTIONS_CHECKPOINT }, { $set: { fenced: lease.holder } }, { upsert: true });
    // Every projector must have seen the lease before the switch-over replaces what it writes; the rebuild
    // itself writes only its own `__rebuild` collections, so it runs meanwhile instead of after the wait.
    const leaseSeen = new Promise<void>((resolve) => (seenTimer = setTimeout(resolve, LEASE_SEEN_WITHIN_MS)));
    return await rebuild(store, db, projections, onProgress, leaseSeen, snapshots);
  } finally {
    clearTimeout(seenTimer);
    // Switched or not, projectors take up from the checkpoint there is now.
    await checkpoints.updateOne({ _id: PROJECTIONS_CHECKPOINT, fenced: lease.holder }, { $unset: { fenced: '' } });
    await lease.release();
  }
}

async function rebuild(
  store: EventStore,
  db: ReadStore,
  projections: readonly Projection[],
  onProgress: (position: number, head: number) => void,
  leaseSeen: Promise<void>,
  snapshots: ReplaySnapshots | undefined,
): Promise<ReplayResult> {
  const head = await store.headPosition();
  const names = new Map(projections.flatMap((p) => p.collections).map((c) => [c, `${c}${REBUILD_SUFFIX}`]));
  // Every collection exists before the switch, rebuilt (with its indexes) or live, whether or not an event touched it.
  for (const fresh of names.values()) await db.drop(fresh);
  for (const [live, fresh] of names) {
    await db.create(fresh);
    await db.create(live);
  }
  const target = renamed(db, names);
  for (const p of projections) await p.setup?.(target);

  const apply = projectionApplier(projections);
  let position = 0;
  let events = 0;
  // Taken by other projection code, maybe: the replay takes them anew from what it rebuilds.
  if (snapshots) await dropSnapshots(db);
  let sinceSnapshot = 0;
  for (;;) {
    // Lean: projections read events' fields only, so the adapter may leave metadata and createdAt unparsed until read.
    const batch = await store.readAll({ after: position, maxCount: BATCH, maxBytes: BATCH_BYTES, lean: true });
    if (!batch.length) break;
    await apply(batch, target);
    position = batch[batch.length - 1].position;
    events += batch.length;
    sinceSnapshot += batch.length;
    if (snapshots && snapshots.every > 0 && sinceSnapshot >= snapshots.every) {
      await takeSnapshot(target, snapshots.collections, position);
      sinceSnapshot = 0;
    }
    onProgress(position, Math.max(head, position));
  }

  await target.flush();
  await leaseSeen;
  // Rebuilt past every event: whatever the runner was stuck on applies now.
  await switchOver(db, names, async () => {
    await db
      .collection(CHECKPOINTS)
      .updateOne(
        { _id: PROJECTIONS_CHECKPOINT },
        { $set: { position }, $unset: { fenced: '', failure: '' } },
        { upsert: true },
      );
    if (snapshots)
      await db
        .collection(CHECKPOINTS)
        .updateOne({ _id: SNAPSHOT_PROGRESS }, { $set: { events: sinceSnapshot } }, { upsert: true });
  });
  return { events, position };
}
