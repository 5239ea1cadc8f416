/**
 * Event store on EventStoreDB / KurrentDB through @eventstore/db-client 6.x.
 * Global positions are the events' commit positions in $all. System events and streams
 * (names starting with `$`) are invisible through this port.
 *
 * The records' conversions are in esdb-records.ts, the subscription in esdb-subscription.ts and the
 * hash chain's seals in esdb-chain.ts.
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
  jsonEvent,
  type AllStreamRecordedEvent,
  type AppendExpectedRevision,
  type JSONType,
  type Position,
  type StreamingRead,
} from '@eventstore/db-client';
import type { ChainEvent } from './chain-seals.js';
import { ChainSealer } from './chain-sealer.js';
import { EsdbSealStream, chainEventOf } from './esdb-chain.js';
import { concurrencyErrorOf } from './esdb-errors.js';
import { toStoredMetadata } from './esdb-metadata.js';
import { fromNumber, hasPosition, isAfter, sizeOf, toRecorded } from './esdb-records.js';
import { EsdbSubscription } from './esdb-subscription.js';
import {
  assertAppendSize,
  type AppendResult,
  type BatchHandler,
  type ChainHead,
  type ChainKeeper,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  matchesData,
  type ReadAllOptions,
  type ReadStoredOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StoredEvent,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionErrors,
} from './port.js';
import { SealedLog } from './sealed-log.js';

const PAGE_SIZE = 1000;

/** Leaving a read early: cancel the gRPC call too, not only the readable. */
async function cancelled<T>(read: StreamingRead<unknown>, value: T): Promise<T> {
  await read.cancel().catch(() => undefined);
  return value;
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
  private readonly seals: EsdbSealStream;
  private readonly chain: SealedLog;
  private readonly keepers = new Set<ChainKeeper>();
  /** Where the last read of the chain's events after `after` ended without finding one. */
  private idleScan: { after: number; upTo: Position } | undefined;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: EsdbOptions = {},
  ) {
    this.seals = new EsdbSealStream(client);
    this.chain = new SealedLog(this.seals, (after) => this.chainEvents(after));
  }

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
      throw concurrencyErrorOf(err, stream, expectedRevision) ?? err;
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
    // readAll has no server-side filter in this client: types and dataEquals are filtered here (the
    // server's $all filters match stream names and event types only, and only on subscriptions).
    for await (const event of this.recordsAfter(options.after ? fromNumber(options.after) : undefined)) {
      const recorded = toRecorded(event);
      if (!recorded) continue;
      if (options.upTo !== undefined && recorded.position > options.upTo) break;
      if ((!types || types.has(recorded.type)) && matchesData(recorded.data, options.dataEquals)) {
        out.push(recorded);
        if (maxBytes !== Infinity) bytes += sizeOf(event);
        if (out.length >= maxCount || bytes >= maxBytes) break;
      }
    }
    return out;
  }

  /**
   * Every record of $all after `bound` (exclusive), system ones included, as the client gives them, read
   * page by page; leaving the loop early cancels the gRPC read.
   */
  private async *recordsAfter(bound: Position | undefined): AsyncGenerator<AllStreamRecordedEvent> {
    for (;;) {
      let raw = 0;
      let last: Position | undefined;
      let finished = false;
      const read = this.client.readAll({ fromPosition: bound ?? START, maxCount: PAGE_SIZE });
      try {
        for await (const resolved of read) {
          raw += 1;
          const event = resolved.event;
          if (!event || (bound && !isAfter(event.position, bound))) continue; // `after` and page starts are exclusive
          last = event.position;
          yield event;
        }
        finished = true;
      } finally {
        if (!finished) await read.cancel().catch(() => undefined);
      }
      if (raw < PAGE_SIZE || !last) return;
      bound = last;
    }
  }

  /**
   * Our events after `after`, for the chain. When a read after the same position found none, the next
   * starts where it stopped: an idle sealer does not read the same system records again on every poll.
   */
  private async *chainEvents(after: number): AsyncGenerator<ChainEvent> {
    const idle = this.idleScan?.after === after ? this.idleScan.upTo : undefined;
    let scanned: Position | undefined;
    let found = false;
    for await (const event of this.recordsAfter(idle ?? (after ? fromNumber(after) : undefined))) {
      scanned = event.position;
      if (!toRecorded(event)) continue;
      found = true;
      yield chainEventOf(event);
    }
    if (!found && scanned) this.idleScan = { after, upTo: scanned };
  }

  /** The sealer chains the log from its first event, whenever that was written. */
  readonly chainedFromFirstEvent = true;

  /** The events as sealed, up to the chain's head: the sealer (keepChain) chains them shortly after they are written. */
  readStored(options: ReadStoredOptions): Promise<StoredEvent[]> {
    return this.chain.readStored(options);
  }

  chainHead(): Promise<ChainHead | null> {
    return this.chain.head();
  }

  /** Seals new events until stopped (or the store is closed); any number of processes may run one. */
  keepChain(onError: (err: Error) => void): ChainKeeper {
    if (this.closed) throw new Error('EsdbEventStore is closed');
    const sealer = new ChainSealer(this.seals, (after) => this.chainEvents(after), onError);
    this.keepers.add(sealer);
    return {
      stop: async () => {
        this.keepers.delete(sealer);
        await sealer.stop();
      },
    };
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
    await Promise.all([...this.keepers].map((k) => k.stop()));
    await this.client.dispose();
  }
}
