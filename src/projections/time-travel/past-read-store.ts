/**
 * The read models as they stood after a past position, rebuilt for one read: by the same projections
 * the live read models come from, into a scratch store the same queries then read. The work is bound
 * by the nearest snapshot at or before the position: only the events after it are replayed, and only
 * those of the types the read's projections handle (of a scoped read's types, only those of its scope).
 */
import type { DataEquals, EventStore, ReadAllOptions, RecordedEvent } from '../../infra/eventstore/port.js';
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
   * Events of these types change what the read shows only where their data names this value (every
   * chat event names its workspace): the event store answers only those, so the events of other
   * workspaces are neither read nor applied. Events of the projections' other types are all applied.
   */
  scope?: { types: readonly string[]; where: DataEquals };
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
  /** Events read and applied after the snapshot. */
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
  const apply = projectionApplier(read.projections);
  let replayed = 0;
  for await (const batch of eventsBetween(deps.store, read, snapshot?.position ?? 0, position)) {
    await apply(batch, scratch);
    replayed += batch.length;
  }
  stats?.({ snapshot: snapshot?.position ?? null, replayed });
  return scratch;
}

/** Reads of the log the replay merges: one of every type handled, or an unscoped one and a scoped one. */
function readsOf(read: PastRead): ReadAllOptions[] {
  const all = read.projections.some((p) => p.handles === 'all')
    ? undefined
    : [...new Set(read.projections.flatMap((p) => p.handles as readonly string[]))];
  if (!read.scope) return [{ types: all }];
  const scoped = new Set(read.scope.types);
  if (!all) throw new Error('A scoped past read needs projections that name the types they handle');
  return [{ types: all.filter((t) => !scoped.has(t)) }, { types: [...scoped], dataEquals: read.scope.where }].filter(
    (r) => r.types.length > 0,
  );
}

/**
 * The read's events after `after` up to `upTo`, in position order, in batches: each read answers at
 * most BATCH events, and a batch ends where the first full read ended (what lies beyond is read again
 * next time), so the merged order is the log's.
 */
async function* eventsBetween(
  store: EventStore,
  read: PastRead,
  after: number,
  upTo: number,
): AsyncGenerator<RecordedEvent[]> {
  const reads = readsOf(read);
  while (after < upTo) {
    const batches = await Promise.all(
      reads.map((r) => store.readAll({ ...r, after, upTo, maxCount: BATCH, lean: true })),
    );
    let until = upTo;
    for (const b of batches) if (b.length === BATCH) until = Math.min(until, b[b.length - 1]!.position);
    const events = batches.flat().filter((e) => e.position <= until);
    if (batches.length > 1) events.sort((a, b) => a.position - b.position);
    if (events.length) yield events;
    after = until;
  }
}
