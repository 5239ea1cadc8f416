/**
 * The read models as they stood after a past position, rebuilt for one read: by the same projections
 * the live read models come from, into a scratch store the same queries then read. The work is bound
 * by the nearest snapshot at or before the position: only the events after it are replayed, and only
 * those of the types the read's projections handle.
 */
import type { EventStore, RecordedEvent } from '../../infra/eventstore/port.js';
import type { Filter, ReadStore } from '../../infra/readstore/port.js';
import type { Projection } from '../shared/projection.js';
import { projectionApplier } from '../shared/runner.js';
import { snapshotAtOrBefore, snapshotDocuments } from './snapshots.js';

/** What a read depends on. */
export interface PastRead {
  /** The projections whose collections the read's queries use (each projection reads only its own). */
  projections: readonly Projection[];
  /**
   * Per collection, the documents the read can need (one workspace's chats), copied from the snapshot
   * instead of the whole collection; the read must filter by the same. Replayed events may add others.
   * null: the read never looks at the collection (its projection writes it all the same), so it starts empty.
   */
  seeds?: Readonly<Record<string, Filter | null>>;
  /**
   * Which replayed events can change what the read shows, decided per rebuild from the seeded store;
   * the others are not applied. Without it every event of the projections' types is.
   */
  relevant?: (seeded: ReadStore) => Promise<(event: RecordedEvent) => boolean>;
}

export interface PastReadDeps {
  store: EventStore;
  /** The live read store, where snapshots are kept. */
  db: ReadStore;
  /** A fresh, empty store to rebuild into. */
  scratch: () => ReadStore;
}

/** What a rebuild started from and replayed (for tests and benches). */
export interface PastReadStats {
  snapshot: number | null;
  /** Events read after the snapshot, and of those the events applied. */
  read: number;
  replayed: number;
}

const BATCH = 1000;

/** The collections a read needs from a snapshot. */
export const pastReadCollections = (read: PastRead): string[] =>
  read.projections.flatMap((p) => p.collections).filter((c) => read.seeds?.[c] !== null);

export async function pastReadStore(
  deps: PastReadDeps,
  read: PastRead,
  position: number,
  stats?: (s: PastReadStats) => void,
): Promise<ReadStore> {
  const scratch = deps.scratch();
  const collections = pastReadCollections(read);
  for (const p of read.projections) await p.setup?.(scratch);
  const snapshot = position > 0 ? await snapshotAtOrBefore(deps.db, position, collections) : null;
  if (snapshot) {
    for (const name of collections) {
      const docs = await snapshotDocuments(deps.db, snapshot.position, name, read.seeds?.[name] ?? {});
      if (docs.length) await scratch.collection(name).upsertMany(docs);
    }
  }
  const types = read.projections.some((p) => p.handles === 'all')
    ? undefined
    : [...new Set(read.projections.flatMap((p) => p.handles as readonly string[]))];
  const apply = projectionApplier(read.projections);
  const relevant = await read.relevant?.(scratch);
  let after = snapshot?.position ?? 0;
  let replayed = 0;
  let scanned = 0;
  while (after < position) {
    const batch = await deps.store.readAll({ after, upTo: position, maxCount: BATCH, types, lean: true });
    const applied = relevant ? batch.filter(relevant) : batch;
    if (applied.length) await apply(applied, scratch);
    scanned += batch.length;
    replayed += applied.length;
    if (batch.length < BATCH) break;
    after = batch[batch.length - 1]!.position;
  }
  stats?.({ snapshot: snapshot?.position ?? null, read: scanned, replayed });
  return scratch;
}
