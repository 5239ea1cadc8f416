import type { RecordedEvent } from '../../infra/eventstore/port.js';
import type { ReadStore } from '../../infra/readstore/port.js';
import { CHECKPOINTS } from '../shared/runner.js';
import { dropSnapshots, readSnapshot, writeSnapshot } from './snapshots.js';

/** Where the count of events applied since the last snapshot is kept, so that a restart does not reset it. */
export const SNAPSHOT_PROGRESS = 'snapshot-progress';

/**
 * Takes a snapshot of the read models once every `every` events applied, at the end of the batch that
 * reaches the count: read between batches, so the copy is the state after one position exactly, then
 * written while projection goes on (one write at a time). Counted in events, not positions
 * (EventStoreDB's positions are byte offsets). A snapshot whose write fails is logged and never
 * recorded: the next one comes `every` events later.
 *
 * An erasure (UserErased) drops every snapshot: they are copies of read models that held the user's
 * personal data. Past reads stay right without them (they replay from the log, where the data now
 * reads "[erased]"), only slower; a snapshot is taken again at once from the scrubbed read models, and
 * `chronicle replay` takes the earlier ones anew.
 */
export class Snapshotter {
  private since: number | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: ReadStore,
    private readonly collections: readonly string[],
    private readonly every: number,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  private progress() {
    return this.db.collection(CHECKPOINTS);
  }

  /** Called after a batch is applied and checkpointed. */
  async applied(position: number, events: readonly RecordedEvent[]): Promise<void> {
    if (events.some((e) => e.type === 'UserErased')) {
      // A snapshot read before the erasure must not be written after the drop.
      await this.writing;
      await dropSnapshots(this.db);
      if (this.every > 0) this.since = this.every;
    }
    if (this.every <= 0) return;
    if (this.since === null) {
      const stored = await this.progress().findOne({ _id: SNAPSHOT_PROGRESS });
      this.since = (stored?.events as number | undefined) ?? 0;
    }
    this.since += events.length;
    if (this.since >= this.every) {
      const contents = await readSnapshot(this.db, this.collections, position);
      this.writing = this.writing
        .then(() => writeSnapshot(this.db, contents))
        .catch((err) => this.onError(err instanceof Error ? err : new Error(String(err))));
      this.since = 0;
    }
    await this.progress().updateOne({ _id: SNAPSHOT_PROGRESS }, { $set: { events: this.since } }, { upsert: true });
  }

  /** Resolves once the snapshots begun so far are written (or failed). */
  written(): Promise<void> {
    return this.writing;
  }
}
