/**
 * Catch-up + live over $all through the client's subscription, for EsdbEventStore.subscribeToAll.
 */
import {
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type EventStoreDBClient,
  type Position,
  START,
  eventTypeFilter,
  excludeSystemEvents,
} from '@eventstore/db-client';
import { isTransient } from './esdb-errors.js';
import { fromNumber, isAfter, sizeOf, toRecorded } from './esdb-records.js';
import type { BatchHandler, RecordedEvent, SubscribeOptions, Subscription } from './port.js';
import { Sleeper } from '../sleeper.js';

const MAX_BATCH = 1000;
/** A batch is cut once its events' data and metadata reach this many bytes (chunk events are up to ~1 MB each). */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;
/** Events the subscription's readable may hold ahead of the handler: with events of up to ~1 MB, this bounds its memory. */
const READ_AHEAD = 32;
const MAX_BACKOFF_MS = 5000;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Catch-up + live through the client's subscription. Events are taken from the readable in batches
 * (whatever is buffered, up to MAX_BATCH) and the next batch is read only after the handler settles,
 * so the readable's backpressure holds the server back meanwhile. After a drop it resubscribes from
 * the last handled event, with exponential backoff.
 */
export interface SubscriptionEvents {
  retrying(err: Error, delayMs: number): void;
  /** Given up: the error is reported to onError and the subscription ends. */
  failed(err: Error): void;
  /** The server accepted the subscription or delivered events. */
  working(): void;
}

export class EsdbSubscription implements Subscription {
  private closed = false;
  private current: AllStreamSubscription | undefined;
  private readonly sleeper = new Sleeper();
  private readonly done: Promise<void>;
  private last: Position | undefined;
  private readonly types: Set<string> | undefined;

  constructor(
    private readonly client: EventStoreDBClient,
    options: SubscribeOptions,
    private readonly handler: BatchHandler,
    private readonly onError: ((err: Error) => void) | undefined,
    onEnd: () => void,
    private readonly events: SubscriptionEvents,
  ) {
    this.last = options.after ? fromNumber(options.after) : undefined;
    this.types = options.types ? new Set(options.types) : undefined;
    this.done = this.run().finally(onEnd);
  }

  private subscribe(): AllStreamSubscription {
    const filter = this.types
      ? eventTypeFilter({ regex: this.types.size ? `^(?:${[...this.types].map(escapeRegex).join('|')})$` : '^(?!)' })
      : excludeSystemEvents();
    // fromPosition is exclusive for subscriptions; events at or before `last` are skipped in accept() anyway.
    return this.client.subscribeToAll({ fromPosition: this.last ?? START, filter }, { highWaterMark: READ_AHEAD });
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.closed) {
      const sub = (this.current = this.subscribe());
      sub.once('confirmation', () => this.events.working());
      const reader = new BatchReader(sub);
      let dropped: unknown;
      try {
        for (let batch = await reader.next(); batch && !this.closed; batch = await reader.next()) {
          this.events.working();
          const { events, last } = this.accept(batch);
          if (events.length === 0) continue;
          attempt = 0;
          try {
            await this.handler(events);
          } catch (err) {
            this.closed = true;
            this.onError?.(err instanceof Error ? err : new Error(String(err)));
            break;
          }
          this.last = last;
        }
      } catch (err) {
        dropped = err;
      } finally {
        this.current = undefined;
        await sub.unsubscribe().catch(() => undefined);
        sub.destroy();
      }
      if (this.closed) return;
      const error = dropped instanceof Error ? dropped : new Error(String(dropped ?? 'subscription ended'));
      if (dropped !== undefined && !isTransient(dropped)) {
        // No retry cures it: say so (the caller logs it and may start over) rather than retry in silence.
        this.closed = true;
        this.events.failed(error);
        this.onError?.(error);
        return;
      }
      attempt += 1;
      const delayMs = Math.min(100 * 2 ** attempt, MAX_BACKOFF_MS);
      this.events.retrying(error, delayMs);
      await this.sleeper.sleep(delayMs);
    }
  }

  /** Drops system records, other types, and anything at or before the last handled position. */
  private accept(batch: AllStreamResolvedEvent[]): { events: RecordedEvent[]; last: Position | undefined } {
    const events: RecordedEvent[] = [];
    let last = this.last;
    for (const { event } of batch) {
      if (!event || (last && !isAfter(event.position, last))) continue;
      last = event.position; // advance over skipped records too, so a resubscription does not rescan them
      const recorded = toRecorded(event);
      if (recorded && (!this.types || this.types.has(recorded.type))) events.push(recorded);
    }
    return { events, last };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sleeper.wake();
    // Destroying the readable ends a pending read; an in-flight handler is awaited through `done`.
    this.current?.destroy();
    await this.done;
  }
}

/** Pulls whatever the subscription has buffered; listens for errors all the time so none goes unhandled. */
class BatchReader {
  private error: Error | undefined;
  private ended = false;
  private notify: (() => void) | undefined;

  constructor(private readonly sub: AllStreamSubscription) {
    const wake = () => this.notify?.();
    sub.on('error', (err) => {
      this.error ??= err;
      wake();
    });
    sub.on('end', () => {
      this.ended = true;
      wake();
    });
    sub.on('close', () => {
      this.ended = true;
      wake();
    });
    sub.on('readable', wake);
  }

  /**
   * At least one event, at most MAX_BATCH events or about MAX_BATCH_BYTES; undefined once the stream
   * ended or was closed; throws on a drop. While events keep arriving (a catch-up) it lets the client
   * push more between reads, so batches grow past the small read-ahead; live, it answers what came.
   */
  async next(): Promise<AllStreamResolvedEvent[] | undefined> {
    for (;;) {
      const batch: AllStreamResolvedEvent[] = [];
      let bytes = 0;
      for (;;) {
        const before = batch.length;
        let item: AllStreamResolvedEvent | null;
        while (
          batch.length < MAX_BATCH &&
          bytes < MAX_BATCH_BYTES &&
          (item = this.sub.read() as AllStreamResolvedEvent | null) !== null
        ) {
          batch.push(item);
          bytes += sizeOf(item.event);
        }
        if (
          batch.length === before ||
          batch.length >= MAX_BATCH ||
          bytes >= MAX_BATCH_BYTES ||
          this.error ||
          this.ended
        )
          break;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (batch.length > 0) return batch;
      if (this.error) throw this.error;
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.notify = resolve));
      this.notify = undefined;
    }
  }
}
