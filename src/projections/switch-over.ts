import type { ReadStore } from '../infra/readstore/port.js';

const PREVIOUS_SUFFIX = '__previous';

type Step = { live: string; fresh: string; moved: 'live' | 'both' };

/**
 * Puts rebuilt collections in place of the live ones, then runs `commit` (the checkpoint). Each live
 * collection is first set aside, not dropped, so that a failure part way (a rename, the commit) puts
 * every live collection back as it was: the old read models keep serving with their own checkpoint.
 * Every collection named, live and rebuilt, must exist (MongoDB renames only a collection that exists).
 */
export async function switchOver(
  db: ReadStore,
  fresh: ReadonlyMap<string, string>,
  commit: () => Promise<void>,
): Promise<void> {
  const done: Step[] = [];
  try {
    for (const [live, rebuilt] of fresh) {
      const step: Step = { live, fresh: rebuilt, moved: 'live' };
      await db.rename(live, live + PREVIOUS_SUFFIX);
      done.push(step);
      await db.rename(rebuilt, live);
      step.moved = 'both';
    }
    await commit();
  } catch (err) {
    await rollBack(db, done).catch((undo: unknown) => {
      throw new AggregateError(
        [err, undo],
        `Switching to the rebuilt read models failed, and so did putting the old ones back: ${String(undo)}`,
      );
    });
    throw err;
  }
  for (const { live } of done) await db.drop(live + PREVIOUS_SUFFIX);
}

async function rollBack(db: ReadStore, done: readonly Step[]): Promise<void> {
  for (const step of [...done].reverse()) {
    if (step.moved === 'both') await db.rename(step.live, step.fresh);
    await db.rename(step.live + PREVIOUS_SUFFIX, step.live);
  }
}
