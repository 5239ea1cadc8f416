import type { EventStore, RecordedEvent } from '../../infra/eventstore/port.js';
import type { PubSub } from '../../infra/pubsub/port.js';
import type { ReadStore } from '../../infra/readstore/port.js';
import { CheckpointedSubscriber } from './checkpointed-subscriber.js';
import { type ProgressNotice, PROJECTIONS_CHANNEL } from './notices.js';
import { clearFailure, ProjectionFailure, recordFailure, storedFailures } from './projection-failure.js';
import type { ProjectionProgress } from './progress.js';
import type { Projection } from './projection.js';
import { replayLeaseWatch } from './replay-lease.js';

export const CHECKPOINTS = 'checkpoints';
export const PROJECTIONS_CHECKPOINT = 'projections';

/** Routes each event to the projections that handle its type, in log order. */
export function projectionApplier(projections: readonly Projection[]) {
  const everything = projections.filter((p) => p.handles === 'all');
  const byType = new Map<string, Projection[]>();
  for (const p of projections) {
    if (p.handles !== 'all') for (const t of p.handles) byType.set(t, [...(byType.get(t) ?? []), p]);
  }
  // Per type, the whole list in the order they apply (those of the type, then those of every event),
  // decided once per type rather than once per event.
  const targets = new Map<string, readonly Projection[]>();
  for (const [type, list] of byType) targets.set(type, [...list, ...everything]);
  return async (events: readonly RecordedEvent[], db: ReadStore) => {
    for (let e = 0; e < events.length; e++) {
      const event = events[e]!;
      const list = targets.get(event.type) ?? everything;
      for (let i = 0; i < list.length; i++) {
        try {
          await list[i]!.apply(event, db);
        } catch (err) {
          // Named, with where the batch got to: the subscriber checkpoints the events before this one.
          throw new ProjectionFailure(list[i]!.name, event, err, e > 0 ? events[e - 1]!.position : null);
        }
      }
    }
  };
}

export interface RunnerOptions {
  /**
   * How long announcing a batch (flushing the read store, then publishing the notice) may wait, so that
   * the batches of that window share one flush. 0 announces each batch at once. This process's readers
   * do not wait for it: they read the read models' memory, which holds a batch as soon as it is applied.
   */
  announceAfterMs?: number;
  /**
   * The pub/sub reaches this process only (in memory): with a window, notices then go out at once, as
   * with none (what listens here, such as the retrieval index, reads memory too), and only the flush waits.
   */
  inProcessNotices?: boolean;
  /** Told of every applied batch, before it is announced: takes the read models' snapshots (time travel). */
  snapshots?: { applied(position: number, events: readonly RecordedEvent[]): Promise<void> };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Tells this process about a batch in log order, one waited-for write at a time: the batch is cut after
 * each position a request waits for (its read-your-writes answer), and each part is told (progress, then
 * notice) in its own turn of the event loop, so that what listens to notices (subscriptions pushing the
 * change to their sockets) has handled one write before the next write's answer goes out. Told at once,
 * a batch of n writes (requests that came in while the last batch was being fanned out) answered all n
 * requests first and then fanned out n changes: the last change reached subscribers n fan-outs after
 * its answer (bench/fanout.js: ~1 s behind at 10 updates/s on a loaded machine). A batch nobody waits
 * for (catch-up, another process's writes), or told while nothing follows the changes (no live
 * subscription), is told in one notice: answers trickling out a turn apart cost the round trip ~30 %
 * more CPU per request (bench/roundtrip.js) and buy nothing there.
 */
async function announceInTurns(progress: ProjectionProgress, pubsub: PubSub, notice: ProgressNotice): Promise<void> {
  const { events } = notice;
  const cuts =
    events.length > 1 && progress.followed
      ? progress.awaitedBetween(events[0]!.position - 1, events[events.length - 2]!.position)
      : [];
  let from = 0;
  for (const cut of cuts) {
    let to = from;
    while (events[to + 1]!.position <= cut) to++;
    const part = events.slice(from, to + 1);
    progress.advance(part[part.length - 1]!.position);
    await pubsub.publish(PROJECTIONS_CHANNEL, { position: part[part.length - 1]!.position, events: part });
    from = to + 1;
    await nextTurn();
  }
  progress.advance(notice.position);
  await pubsub.publish(
    PROJECTIONS_CHANNEL,
    from === 0 ? notice : { position: notice.position, events: events.slice(from) },
  );
}

/** Keeps the read models up to date, then tells this process and the others (pub/sub) how far they got. */
export class ProjectionRunner {
  private readonly subscriber: CheckpointedSubscriber;
  private readonly announceAfterMs: number;
  private readonly inProcessNotices: boolean;
  /** Notices of applied batches not yet announced, in log order. */
  private unannounced: ProgressNotice[] = [];
  private announceTimer: NodeJS.Timeout | null = null;
  private announcing: Promise<void> = Promise.resolve();
  /** The event the read side is stuck on (this run's, or the one stored by an earlier run), and since when. */
  private stuck: { projection: string; position: number; since: string } | null = null;
  /** `projection@position` of the failure last logged by this process. */
  private logged: string | null = null;
  /** Stored failures and their clearing, one after another. */
  private statusWrites: Promise<void> = Promise.resolve();

  constructor(
    store: EventStore,
    private readonly db: ReadStore,
    private readonly projections: readonly Projection[],
    progress: ProjectionProgress,
    private readonly pubsub: PubSub,
    private readonly onError: (err: Error) => void,
    options: RunnerOptions = {},
  ) {
    this.announceAfterMs = options.announceAfterMs ?? 0;
    this.inProcessNotices = options.inProcessNotices ?? false;
    const apply = projectionApplier(projections);
    this.subscriber = new CheckpointedSubscriber({
      name: PROJECTIONS_CHECKPOINT,
      store,
      checkpoints: db.collection(CHECKPOINTS),
      handle: (events) => apply(events, db),
      paused: replayLeaseWatch(db),
      afterBatch: async (position, events) => {
        if (this.stuck && position >= this.stuck.position) await this.recovered();
        await options.snapshots?.applied(position, events);
        const notice: ProgressNotice = {
          position,
          events: events.map((e) => ({
            position: e.position,
            type: e.type,
            stream: e.streamName,
            actorId: e.metadata.actorId,
            occurredAt: e.createdAt.toISOString(),
          })),
        };
        if (this.announceAfterMs <= 0) {
          await db.flush(); // processes told about this batch must find it in the store
          progress.advance(position);
          await pubsub.publish(PROJECTIONS_CHANNEL, notice);
          return;
        }
        if (this.inProcessNotices) {
          // Read-your-writes in this process: its read models hold the applied batch already. The read store flushes behind.
          await announceInTurns(progress, pubsub, notice);
          return;
        }
        progress.advance(position);
        this.unannounced.push(notice);
        this.announceTimer ??= setTimeout(() => {
          this.announceTimer = null;
          this.announce().catch((err) => this.onError(err instanceof Error ? err : new Error(String(err))));
        }, this.announceAfterMs);
      },
      onError: (err) => this.failed(err),
    });
  }

  /**
   * Retried with backoff by the subscriber, stuck where it failed: applying later events would leave a
   * read model without this one's change, and an answer after it could not say what it holds. A failure
   * is logged once per position (not every retry), counted per attempt, and stored for every process.
   */
  private failed(err: Error): void {
    if (!(err instanceof ProjectionFailure)) {
      this.onError(err);
      return;
    }
    if (this.stuck?.projection !== err.projection || this.stuck.position !== err.position) {
      this.stuck = { projection: err.projection, position: err.position, since: new Date().toISOString() };
    }
    const where = `${err.projection}@${err.position}`;
    const first = this.logged !== where;
    if (first) this.onError(err);
    this.logged = where;
    const { since } = this.stuck;
    this.statusWrites = this.statusWrites
      .then(() => recordFailure(this.db.collection(CHECKPOINTS), PROJECTIONS_CHECKPOINT, err, since))
      .catch((e) => {
        if (first) this.onError(e instanceof Error ? e : new Error(String(e)));
      });
  }

  private async recovered(): Promise<void> {
    this.stuck = null;
    this.logged = null;
    // After any failure still being stored: the clearing must land last.
    const clearing = this.statusWrites.then(() =>
      clearFailure(this.db.collection(CHECKPOINTS), PROJECTIONS_CHECKPOINT),
    );
    this.statusWrites = clearing.catch(() => {});
    await clearing;
  }

  /** Flushes, then publishes what the flush made durable: processes told about a batch must find it in the store. */
  private announce(): Promise<void> {
    const notices = this.unannounced;
    this.unannounced = [];
    const run = this.announcing.then(async () => {
      if (!notices.length) return;
      await this.db.flush();
      for (const notice of notices) await this.pubsub.publish(PROJECTIONS_CHANNEL, notice);
    });
    this.announcing = run.catch(() => {}); // one failed announcement does not stop the later ones
    return run;
  }

  async start(): Promise<void> {
    for (const p of this.projections) await p.setup?.(this.db);
    const { failure } = await storedFailures(this.db.collection(CHECKPOINTS), PROJECTIONS_CHECKPOINT);
    this.stuck = failure && { projection: failure.projection, position: failure.position, since: failure.since };
    await this.subscriber.start();
  }

  checkpoint(): Promise<number> {
    return this.subscriber.checkpoint();
  }

  async stop(): Promise<void> {
    await this.subscriber.stop();
    if (this.announceTimer) clearTimeout(this.announceTimer);
    this.announceTimer = null;
    await this.announce(); // what was applied before stopping is flushed and told
  }
}
