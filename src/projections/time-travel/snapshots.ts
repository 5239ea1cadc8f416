/**
 * Snapshots of the read models, kept on the read store: every collection of the snapshotted
 * projections copied, as it stood after one position of the log, into an archive collection of its
 * own (on disk only in the embedded store, so memory holds no second copy), then recorded in
 * `snapshots`. The record is written last: a snapshot cut short by a crash is never found.
 */
import type { Doc, Filter, ReadStore } from '../../infra/readstore/port.js';

export const SNAPSHOTS = 'snapshots';

export interface SnapshotRecord extends Doc {
  position: number;
  collections: string[];
  taken_at: string;
}

/**
 * Fields a past read seeds a snapshot's collection by (one workspace's chats or documents): indexed in
 * the snapshot so that a point read copies only its own documents. Every document holds a number there.
 */
export const SNAPSHOT_INDEXES: Readonly<Record<string, readonly string[]>> = {
  chats: ['workspace'],
  documents: ['workspaceId'],
};

/** Where a collection's copy of the snapshot taken at `position` is kept. */
export const snapshotCollection = (position: number, collection: string) => `snap_${position}_${collection}`;

const COPY_BATCH = 1000;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The documents of `collections` as `db` holds them now, the state after `position`, to be written by `writeSnapshot`. */
export type SnapshotContents = { position: number; collections: Map<string, Doc[]> };

/**
 * Reads what a snapshot holds. The read models must not change meanwhile (between two batches); the
 * documents answered are then a copy, or frozen ones that a later write replaces instead of changing
 * (the embedded store), so the snapshot can be written while projection goes on.
 */
export async function readSnapshot(
  db: ReadStore,
  collections: readonly string[],
  position: number,
): Promise<SnapshotContents> {
  const contents = new Map<string, Doc[]>();
  for (const name of collections) contents.set(name, await db.collection(name).find({}));
  return { position, collections: contents };
}

/**
 * Writes a snapshot's copies, then its record. It yields to the event loop between batches of
 * documents: a copy of half a million chats would otherwise hold every request for its whole length.
 */
export async function writeSnapshot(db: ReadStore, { position, collections }: SnapshotContents): Promise<void> {
  for (const [name, docs] of collections) {
    const copyName = snapshotCollection(position, name);
    await db.drop(copyName);
    const copy = db.collection(copyName, { archive: true });
    for (const field of SNAPSHOT_INDEXES[name] ?? []) await copy.ensureIndex([field]);
    for (let i = 0; i < docs.length; i += COPY_BATCH) {
      for (const doc of docs.slice(i, i + COPY_BATCH)) await copy.insertOne(doc);
      await nextTurn();
    }
  }
  await db.flush(); // the copies are durable before the record says they are there
  const record = { position, collections: [...collections.keys()], taken_at: new Date().toISOString() };
  await db.collection(SNAPSHOTS).updateOne({ _id: String(position) }, { $set: record }, { upsert: true });
  await db.flush();
}

/** Copies `collections` as `db` holds them now, the state after `position`. */
export async function takeSnapshot(db: ReadStore, collections: readonly string[], position: number): Promise<void> {
  await writeSnapshot(db, await readSnapshot(db, collections, position));
}

/** The latest snapshot at or before `position` that holds every one of `collections`, if any. */
export async function snapshotAtOrBefore(
  db: ReadStore,
  position: number,
  collections: readonly string[],
): Promise<SnapshotRecord | null> {
  // Few records (one per SNAPSHOT_EVERY events): the newest that holds them all is picked here.
  const records = await db
    .collection<SnapshotRecord>(SNAPSHOTS)
    .find({ position: { $lte: position } }, { sort: { position: -1 } });
  return records.find((r) => collections.every((c) => r.collections.includes(c))) ?? null;
}

/** A snapshot's documents of one collection, all of them or those matching `seed`. */
export const snapshotDocuments = (db: ReadStore, position: number, collection: string, seed: Filter = {}) =>
  db.collection(snapshotCollection(position, collection), { archive: true }).find(seed);

/** Removes every snapshot (a replay takes them anew): records first, so none is found half gone. */
export async function dropSnapshots(db: ReadStore): Promise<void> {
  const records = await db.collection<SnapshotRecord>(SNAPSHOTS).find({});
  await db.collection(SNAPSHOTS).deleteMany({});
  await db.flush();
  for (const r of records) for (const c of r.collections) await db.drop(snapshotCollection(r.position, c));
}
