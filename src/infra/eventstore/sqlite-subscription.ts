/**
 * A subscription to the embedded event store: catch-up by reading pages, then live. A local append
 * hands its rows over (no read) when they follow on from what the subscription has seen; otherwise
 * (another connection appended in between, or too much waits) it reads. The poll timer reads for
 * appends by other processes.
 *
 * What waits for the handler is bounded in events and in bytes alike (a document's chunk events carry
 * up to ~1 MB of text each): a page read stops at either bound, and handed-over rows past either are
 * dropped for a read.
 */
import type { EventEmitter } from 'node:events';
import type { BatchHandler, RecordedEvent, SubscribeOptions, Subscription } from './port.js';
import type { AppendedGroup } from './sqlite-group-commit.js';
import { rowBytes, toRecorded } from './sqlite-rows.js';
import { Sleeper } from '../sleeper.js';

const MAX_RETRY_DELAY_MS = 5000;

/** How much one batch may hold, in events and in bytes of event JSON. */
export interface CatchUpLimits {
  events: number;
  bytes: number;
}

/** What a subscription reads through. */
export interface SubscriptionSource {
  readonly pollIntervalMs: number;
  readonly catchUp: CatchUpLimits;
  /** The newest event's position (0 for an empty log), read now. */
  headPositionSync(): number;
  /**
   * A page of events after `after` within the limits, and the position up to which it holds every event
   * of those types (the head as it was before the read, or the page's last event when it stopped at a limit).
   */
  readPageSync(
    after: number,
    limits: CatchUpLimits,
    types: readonly string[] | undefined,
  ): { events: RecordedEvent[]; seen: number; full: boolean };
}

export class SqliteSubscription implements Subscription {
  private closed = false;
  private dirty = false; // a local append of these types since the loop last looked
  private readonly sleeper = new Sleeper();
  private wakeQueued = false;
  private readonly done: Promise<void>;
  /** Types this subscription reads, or null for all. */
  private readonly types: ReadonlySet<string> | null;
  /**
   * Every event of its types with a position up to `seen` is delivered or waits in `handedOver`
   * (null: not known, read next). Local appends that follow on from `seen` move it on.
   */
  private seen: number | null = null;
  private handedOver: RecordedEvent[] = [];
  private handedOverBytes = 0;

  /**
   * Woken on the next turn of the event loop, not at once: the appends a request makes in one go
   * (a chat's quota, id and ChatRequested) then reach the handler as one batch, after the request
   * has reached its first real wait (e.g. the model call), instead of each interleaving with it.
   * A local append of types this subscription does not read cannot give it anything new: no wake.
   * (Appends by other processes are found by the poll timer, or by the gap they leave before a local one.)
   */
  private readonly onAppended = (group: AppendedGroup) => {
    const mine = this.types ? group.written.filter((row) => this.types!.has(row[4])) : group.written;
    let bytes = 0;
    for (const row of mine) bytes += rowBytes(row);
    const { events, bytes: maxBytes } = this.source.catchUp;
    const fits = this.handedOver.length + mine.length <= events && this.handedOverBytes + bytes <= maxBytes;
    if (this.seen !== null && group.previous === this.seen && fits) {
      this.seen = group.last;
      for (const row of mine) this.handedOver.push(toRecorded(row));
      this.handedOverBytes += bytes;
    } else {
      this.seen = null; // a gap (another connection appended) or too much waiting: read instead
      this.dropHandedOver();
    }
    if (mine.length === 0) return;
    this.dirty = true;
    if (this.wakeQueued) return;
    this.wakeQueued = true;
    setImmediate(() => {
      this.wakeQueued = false;
      this.sleeper.wake();
    });
  };

  constructor(
    private readonly source: SubscriptionSource,
    private readonly appended: EventEmitter,
    private readonly options: SubscribeOptions,
    private readonly handler: BatchHandler,
    private readonly onError: ((err: Error) => void) | undefined,
    onEnd: () => void,
  ) {
    this.types = options.types ? new Set(options.types) : null;
    appended.on('appended', this.onAppended);
    this.done = this.run().finally(() => {
      appended.off('appended', this.onAppended);
      onEnd();
    });
  }

  private dropHandedOver(): void {
    this.handedOver = [];
    this.handedOverBytes = 0;
  }

  private async run(): Promise<void> {
    await Promise.resolve(); // never call the handler synchronously from subscribeToAll
    let after = this.options.after ?? 0;
    let failures = 0;
    while (!this.closed) {
      this.dirty = false;
      let batch: RecordedEvent[];
      let fullPage = false;
      if (this.seen !== null && this.handedOver.length > 0) {
        batch = this.handedOver;
        this.dropHandedOver();
      } else {
        try {
          if (this.seen !== null && this.source.headPositionSync() <= this.seen) {
            // A poll with nothing appended since what it has seen (no other process wrote): no page to read.
            // A typed page read costs far more than the head's (an index search per type, then a sort).
            batch = [];
          } else {
            const page = this.source.readPageSync(after, this.source.catchUp, this.options.types);
            batch = page.events;
            fullPage = page.full;
            this.seen = page.seen;
            this.dropHandedOver(); // the read found them
          }
          failures = 0;
        } catch {
          // A read can fail transiently (e.g. the file is locked too long): retry with backoff.
          this.seen = null;
          failures += 1;
          await this.sleeper.sleep(Math.min(this.source.pollIntervalMs * 2 ** failures, MAX_RETRY_DELAY_MS));
          continue;
        }
      }
      if (batch.length > 0) {
        try {
          await this.handler(batch);
        } catch (err) {
          this.closed = true;
          this.onError?.(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        after = batch[batch.length - 1]!.position;
      }
      // Read on at once after a full page, or when a local append of these types waits (handed over or
      // behind a gap); else sleep until one comes, or the poll's time to look for other processes' appends.
      // Pages are read synchronously and a handler may never wait for I/O: between full pages the loop lets
      // the event loop turn, or a long catch-up would keep the server from listening and answering meanwhile.
      if (fullPage) await new Promise<void>((resolve) => setImmediate(resolve));
      if (fullPage || this.closed || this.dirty) continue;
      await this.sleeper.sleep(this.source.pollIntervalMs);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sleeper.wake();
    await this.done; // lets an in-flight batch finish
  }
}
