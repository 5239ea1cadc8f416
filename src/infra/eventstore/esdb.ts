/**
 * Event store on EventStoreDB / KurrentDB through @eventstore/db-client 6.x.
 * Global positions are the events' commit positions in $all. System events and streams
 * (names starting with `$`) are invisible through this port.
 *
 * Longer than our other modules (~480 lines) on purpose: it is the one place that reads the client's
 * semantics (positions, revisions, error kinds, streaming reads), and the store, its subscription and
 * the batch reader share those conversions; split, each part would need the others to be understood.
 */
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type JSONType,
  type Position,
  type ResolvedEvent,
  type StreamingRead,
} from '@eventstore/db-client';
import { isTransient } from './esdb-errors.js';
import { fromStoredMetadata, toStoredMetadata } from './esdb-metadata.js';
import {
  assertAppendSize,
  ConcurrencyError,
  type AppendResult,
  type BatchHandler,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  matchesData,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionErrors,
} from './port.js';

const PAGE_SIZE = 1000;
const MAX_BATCH = 1000;
/** A batch is cut once its events' data and metadata reach this many bytes (chunk events are up to ~1 MB each). */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;
/** Events the subscription's readable may hold ahead of the handler: with events of up to ~1 MB, this bounds its memory. */
const READ_AHEAD = 32;
const MAX_BACKOFF_MS = 5000;
// Servers before 22.6 answer stream reads with "no position" as the largest uint64.
const NO_POSITION = 2n ** 63n;

type EsdbRecorded = NonNullable<ResolvedEvent['event']>;

function isSystem(event: EsdbRecorded): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

function hasPosition(position: Position | undefined): position is Position {
  return position !== undefined && position.commit >= 0n && position.commit < NO_POSITION;
}

/** True when `position` comes strictly after `bound` in $all. */
function isAfter(position: Position, bound: Position): boolean {
  return position.commit > bound.commit || (position.commit === bound.commit && position.prepare > bound.prepare);
}

function fromNumber(after: number): Position {
  // Only the commit position is known here; using it as prepare too assumes commit == prepare, which holds for
  // events appended without explicit transactions (all of ours). Callers skip records at or before it anyway.
  return { commit: BigInt(after), prepare: BigInt(after) };
}

/** Our events are JSON; anything else (foreign binary events, system records) is skipped. */
function toRecorded(event: EsdbRecorded): RecordedEvent | undefined {
  if (!event.isJson || isSystem(event)) return undefined;
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: fromStoredMetadata(event.metadata),
    streamName: event.streamId,
    revision: Number(event.revision),
    position: hasPosition(event.position) ? Number(event.position.commit) : -1,
    createdAt: event.created,
  };
}

/** Leaving a read early: cancel the gRPC call too, not only the readable. */
async function cancelled<T>(read: StreamingRead<unknown>, value: T): Promise<T> {
  await read.cancel().catch(() => undefined);
  return value;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function toExpected(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'any') return ANY;
  return BigInt(expected);
}

export interface EsdbOptions {
  /** Told of each transient subscription error before the retry (to log it). */
  onRetry?(err: Error, delayMs: number): void;
}

export class EsdbEventStore implements EventStore {
  private readonly subscriptions = new Set<EsdbSubscription>();
  private closed = false;
  private readonly errors: SubscriptionErrors = { retried: 0, failed: 0 };
  /** Subscriptions (by filter) whose last attempt failed with an error a retry cannot cure. */
  private readonly failing = new Map<string, Error>();

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: EsdbOptions = {},
  ) {}

  /** e.g. `esdb://localhost:2113?tls=false` */
  static connect(url: string, options: EsdbOptions = {}): EsdbEventStore {
    return new EsdbEventStore(EventStoreDBClient.connectionString(url), options);
  }

  subscriptionErrors(): SubscriptionErrors {
    return { ...this.errors };
  }

  // Event ids and revisions survive a copy (chronicle migrate): jsonEvent({ id }) keeps the given id (its type
  // definition: "By default, the id will be generated"), and an exact bigint expectedRevision makes the server
  // refuse a write at any other revision; the server also answers a repeated append of the same ids at the same
  // expected revision as already written. Checked in @eventstore/db-client 6.2's .d.ts files and the server docs.
  // `created` is stamped by the server: EventData has no field for it, so createdAt is not carried over.
  // No retries here: a retry is only safe with the same explicit expected revision, which callers own.
  async appendToStream(
    stream: string,
    events: readonly EventToAppend[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    assertAppendSize(stream, events);
    const data = events.map((e) =>
      jsonEvent({
        id: e.id,
        type: e.type,
        data: e.data as JSONType,
        metadata: toStoredMetadata(e.metadata) as JSONType,
      }),
    );
    try {
      const result = await this.client.appendToStream(stream, data, { expectedRevision: toExpected(expectedRevision) });
      const nextExpectedRevision = Number(result.nextExpectedRevision);
      const position = hasPosition(result.position)
        ? Number(result.position.commit)
        : await this.positionOf(stream, nextExpectedRevision);
      return { nextExpectedRevision, position };
    } catch (err) {
      if (err instanceof WrongExpectedVersionError) {
        const actual = err.actualVersion === NO_STREAM ? 'no_stream' : Number(err.actualVersion);
        throw new ConcurrencyError(stream, expectedRevision, actual);
      }
      throw err;
    }
  }

  /** Some servers answer an idempotent (already written) append without a position: look it up. */
  private async positionOf(stream: string, revision: number): Promise<number> {
    if (revision < 0) return 0;
    const [event] = await this.readStream(stream, { fromRevision: revision, maxCount: 1 });
    return event?.position ?? -1;
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    if (options.maxCount === 0) return [];
    const backwards = options.direction === 'backwards';
    const out: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(stream, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: options.fromRevision !== undefined ? BigInt(options.fromRevision) : backwards ? END : START,
        ...(options.maxCount !== undefined ? { maxCount: options.maxCount } : {}),
      });
      for await (const resolved of read) {
        const event = resolved.event && toRecorded(resolved.event);
        if (event) out.push(event);
      }
    } catch (err) {
      if (err instanceof StreamNotFoundError) return [];
      throw err;
    }
    return out;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    const types = options.types ? new Set(options.types) : undefined;
    const maxBytes = options.maxBytes ?? Infinity;
    let bytes = 0;
    const out: RecordedEvent[] = [];
    if (maxCount <= 0) return out;
    // readAll has no server-side filter in this client: page through $all and filter here (types and
    // dataEquals alike; the server's $all filters match stream names and event types only).
    let bound: Position | undefined = options.after ? fromNumber(options.after) : undefined;
    for (;;) {
      let raw = 0;
      let last: Position | undefined;
      const read = this.client.readAll({ fromPosition: bound ?? START, maxCount: PAGE_SIZE });
      for await (const resolved of read) {
        raw += 1;
        const event = resolved.event;
        if (!event || (bound && !isAfter(event.position, bound))) continue; // `after` and page starts are exclusive
        last = event.position;
        const recorded = toRecorded(event);
        if (recorded && options.upTo !== undefined && recorded.position > options.upTo) return cancelled(read, out);
        if (recorded && (!types || types.has(recorded.type)) && matchesData(recorded.data, options.dataEquals)) {
          out.push(recorded);
          if (maxBytes !== Infinity) bytes += sizeOf(event);
          if (out.length >= maxCount || bytes >= maxBytes) return cancelled(read, out);
        }
      }
      if (raw < PAGE_SIZE || !last) return out;
      bound = last;
    }
  }

  subscribeToAll(options: SubscribeOptions, handler: BatchHandler, onError?: (err: Error) => void): Subscription {
    if (this.closed) throw new Error('EsdbEventStore is closed');
    const key = options.types ? [...options.types].sort().join(',') : '*';
    const subscription = new EsdbSubscription(
      this.client,
      options,
      handler,
      onError,
      () => this.subscriptions.delete(subscription),
      {
        retrying: (err, delayMs) => {
          this.errors.retried++;
          this.options.onRetry?.(err, delayMs);
        },
        failed: (err) => {
          this.errors.failed++;
          this.failing.set(key, err);
        },
        working: () => this.failing.delete(key),
      },
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Newest non-system event: ESDB writes its own ($stats, $scavenges...) records that projections never see. */
  async headPosition(): Promise<number> {
    let from: Position | typeof END = END;
    for (;;) {
      let raw = 0;
      let last: Position | undefined;
      const read = this.client.readAll({ direction: BACKWARDS, fromPosition: from, maxCount: PAGE_SIZE });
      for await (const resolved of read) {
        raw += 1;
        const event = resolved.event;
        if (!event) continue;
        if (toRecorded(event)) return cancelled(read, Number(event.position.commit));
        last = event.position;
      }
      if (raw < PAGE_SIZE || !last) return 0;
      from = last; // inclusive, but that record is a system one and is skipped again
    }
  }

  /** Reachable, and no subscription stuck on an error a retry cannot cure (access denied, a bad filter). */
  async ping(): Promise<void> {
    const [failure] = this.failing.values();
    if (failure) throw new Error(`An event store subscription failed: ${failure.message}`);
    for await (const _ of this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) {
      // reaching the server is all we need
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await this.client.dispose();
  }
}

/**
 * Catch-up + live through the client's subscription. Events are taken from the readable in batches
 * (whatever is buffered, up to MAX_BATCH) and the next batch is read only after the handler settles,
 * so the readable's backpressure holds the server back meanwhile. After a drop it resubscribes from
 * the last handled event, with exponential backoff.
 */
interface SubscriptionEvents {
  retrying(err: Error, delayMs: number): void;
  /** Given up: the error is reported to onError and the subscription ends. */
  failed(err: Error): void;
  /** The server accepted the subscription or delivered events. */
  working(): void;
}

class EsdbSubscription implements Subscription {
  private closed = false;
  private current: AllStreamSubscription | undefined;
  private wake: (() => void) | undefined;
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
      await this.sleep(delayMs);
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

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
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

/** The serialized size of an event's data and metadata, as the server stored them. */
function sizeOf(event: EsdbRecorded | undefined): number {
  if (!event) return 0;
  const size = (value: unknown) =>
    value instanceof Uint8Array ? value.byteLength : Buffer.byteLength(JSON.stringify(value) ?? '');
  return size(event.data) + size(event.metadata);
}
