import type { EventStore, RecordedEvent } from '../../infra/eventstore/port.js';
import type { PubSub } from '../../infra/pubsub/port.js';
import type { ReadStore } from '../../infra/readstore/port.js';
import { CheckpointedSubscriber } from './checkpointed-subscriber.js';
import { type ProgressNotice, PROJECTIONS_CHANNEL } from './notices.js';
import type { ProjectionProgress } from './progress.js';
import type { Projection } from './projection.js';

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
    for (const event of events) {
      const list = targets.get(event.type) ?? everything;
      for (let i = 0; i < list.length; i++) await list[i]!.apply(event, db);
    }
  };
}

/** Keeps the read models up to date, then tells this process and the others (pub/sub) how far they got. */
export class ProjectionRunner {
  private readonly subscriber: CheckpointedSubscriber;

  constructor(
    store: EventStore,
    private readonly db: ReadStore,
    private readonly projections: readonly Projection[],
    progress: ProjectionProgress,
    pubsub: PubSub,
    onError: (err: Error) => void,
  ) {
    const apply = projectionApplier(projections);
    this.subscriber = new CheckpointedSubscriber({
      name: PROJECTIONS_CHECKPOINT,
      store,
      checkpoints: db.collection(CHECKPOINTS),
      handle: (events) => apply(events, db),
      afterBatch: async (position, events) => {
        await db.flush(); // processes told about this batch must find it in the store
        progress.advance(position);
        const notice: ProgressNotice = {
          position,
          events: events.map((e) => ({
            position: e.position, type: e.type, stream: e.streamName, actorId: e.metadata.actorId, occurredAt: e.createdAt.toISOString(),
          })),
        };
        await pubsub.publish(PROJECTIONS_CHANNEL, notice);
      },
      onError,
    });
  }

  async start(): Promise<void> {
    for (const p of this.projections) await p.setup?.(this.db);
    await this.subscriber.start();
  }

  checkpoint(): Promise<number> {
    return this.subscriber.checkpoint();
  }

  stop(): Promise<void> {
    return this.subscriber.stop();
  }
}
