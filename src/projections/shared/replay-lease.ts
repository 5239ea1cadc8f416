import { randomUUID } from 'node:crypto';
import { DuplicateKeyError, type ReadStore } from '../../infra/readstore/port.js';

/**
 * The replay lease: a document in the read store that a replay holds while it rebuilds and switches
 * the read models. Projectors pause while it is held (on every store: MongoDB has no server lock to
 * stand in for it). It expires, so a replay that died does not stop projections for good; a live
 * replay renews it.
 */
export const LEASES = 'leases';
const REPLAY = 'replay';
export const REPLAY_LEASE_MS = 60_000;
/** How often a projector on a caching store looks for other processes' leases. */
const LEASE_REFRESH_MS = 1000;
/** A replay waits this long after taking the lease, so every projector has seen it before the rebuild starts. */
export const LEASE_SEEN_WITHIN_MS = 2 * LEASE_REFRESH_MS;

export class ReplayLeaseHeld extends Error {
  constructor(
    readonly holder: string,
    readonly expiresAt: Date,
  ) {
    super(`Another replay (${holder}) holds the read models until ${expiresAt.toISOString()}`);
    this.name = 'ReplayLeaseHeld';
  }
}

export interface ReplayLease {
  readonly holder: string;
  release(): Promise<void>;
}

const leases = (db: ReadStore) => db.collection(LEASES);

/** Takes the lease, or a lapsed one; renews it until released. Throws ReplayLeaseHeld while another replay holds it. */
export async function acquireReplayLease(
  db: ReadStore,
  ttlMs = REPLAY_LEASE_MS,
  now = () => Date.now(),
): Promise<ReplayLease> {
  const holder = `${process.pid}-${randomUUID()}`;
  const expiry = () => now() + ttlMs;
  try {
    await leases(db).insertOne({ _id: REPLAY, holder, expiresAt: expiry() });
  } catch (err) {
    if (!(err instanceof DuplicateKeyError)) throw err;
    const taken = await leases(db).updateOne(
      { _id: REPLAY, expiresAt: { $lt: now() } },
      { $set: { holder, expiresAt: expiry() } },
    );
    if (taken.matched === 0) {
      const current = await leases(db).findOne({ _id: REPLAY });
      throw new ReplayLeaseHeld(String(current?.holder ?? 'unknown'), new Date(Number(current?.expiresAt ?? 0)));
    }
  }
  await db.flush(); // other processes must see it before the replay writes anything
  const renewal = setInterval(() => {
    leases(db)
      .updateOne({ _id: REPLAY, holder }, { $set: { expiresAt: expiry() } })
      .then(() => db.flush())
      .catch(() => {});
  }, ttlMs / 3);
  renewal.unref();
  return {
    holder,
    async release() {
      clearInterval(renewal);
      await leases(db).deleteOne({ _id: REPLAY, holder });
      await db.flush();
    },
  };
}

/** True while a replay holds an unexpired lease, as this process's view of the store has it. */
export async function replayLeaseHeld(db: ReadStore, now = Date.now()): Promise<boolean> {
  const lease = await leases(db).findOne({ _id: REPLAY });
  return lease !== null && Number(lease.expiresAt) > now;
}

/**
 * For a projector, asked before each batch: is a replay holding the read models? A store that caches
 * (the embedded one) sees another process's lease only after sync(), and syncs safely only with its own
 * writes flushed first, so that is done at most every `refreshMs`, not per batch.
 */
export function replayLeaseWatch(db: ReadStore, refreshMs = LEASE_REFRESH_MS): () => Promise<boolean> {
  let refreshed = 0;
  return async () => {
    const now = Date.now();
    if (now - refreshed >= refreshMs) {
      refreshed = now;
      await db.flush();
      await db.sync();
    }
    return replayLeaseHeld(db, now);
  };
}
