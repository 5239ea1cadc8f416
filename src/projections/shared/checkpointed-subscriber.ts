import type { EventStore, RecordedEvent, Subscription } from '../../infra/eventstore/port.js';
import { type Collection, DuplicateKeyError } from '../../infra/readstore/port.js';

export interface SubscriberOptions {
  /** Key of this subscriber's checkpoint. */
  name: string;
  store: EventStore;
  checkpoints: Collection;
  types?: readonly string[];
  handle(events: RecordedEvent[]): Promise<void>;
  /** Called after a batch is handled and its checkpoint stored. */
  afterBatch?(position: number, events: RecordedEvent[]): void | Promise<void>;
  onError?(err: Error): void;
  /** While this answers true (a replay holds the read models), batches are not handled: the subscriber waits and starts over. */
  paused?(): Promise<boolean>;
}

const MAX_BACKOFF_MS = 5000;
const PAUSED_POLL_MS = 1000;

/** A replay holds the read models, or fenced this checkpoint: wait, then start over from the stored checkpoint. */
class Paused extends Error {
  constructor() {
    super('paused while a replay holds the read models');
    this.name = 'Paused';
  }
}

/**
 * Consumes the event log from its stored checkpoint, batch by batch and strictly in order, storing the
 * checkpoint after each batch. Projections and side-effect reactors both run on it; after a crash the
 * last batch may come again, which is why everything it feeds must be idempotent.
 */
export class CheckpointedSubscriber {
  private subscription: Subscription | null = null;
  private stopped = false;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: SubscriberOptions) {}

  async checkpoint(): Promise<number> {
    const doc = await this.options.checkpoints.findOne({ _id: this.options.name });
    return (doc?.position as number | undefined) ?? 0;
  }

  async start(): Promise<void> {
    this.stopped = false;
    const after = await this.checkpoint();
    const { store, types } = this.options;
    this.subscription = store.subscribeToAll(
      { after, types },
      (events) => this.handleBatch(events),
      (err) => this.restartAfter(err),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.subscription?.close();
    this.subscription = null;
  }

  private async handleBatch(events: RecordedEvent[]): Promise<void> {
    if (!events.length) return;
    const { handle, paused } = this.options;
    if (await paused?.()) throw new Paused();
    try {
      await handle(events);
    } catch (err) {
      // A handler that says how far it got (`appliedThrough`) keeps that much: the events before the one it failed on.
      const through = (err as { appliedThrough?: unknown } | null)?.appliedThrough;
      const applied = typeof through === 'number' ? events.filter((e) => e.position <= through) : [];
      if (applied.length) await this.handled(applied);
      throw err;
    }
    await this.handled(events);
    this.failures = 0;
  }

  private async handled(events: RecordedEvent[]): Promise<void> {
    const { checkpoints, name, afterBatch } = this.options;
    const position = events[events.length - 1].position;
    try {
      // A replay fences the checkpoint while it runs: a batch begun before its lease must not move it.
      await checkpoints.updateOne({ _id: name, fenced: { $exists: false } }, { $set: { position } }, { upsert: true });
    } catch (err) {
      if (err instanceof DuplicateKeyError) throw new Paused();
      throw err;
    }
    await afterBatch?.(position, events);
  }

  private restartAfter(err: Error): void {
    const paused = err instanceof Paused;
    if (!paused) this.options.onError?.(err);
    if (this.stopped) return;
    const delay = paused ? PAUSED_POLL_MS : Math.min(MAX_BACKOFF_MS, 100 * 2 ** this.failures++);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopped) this.start().catch((e) => this.restartAfter(e));
    }, delay);
  }
}
