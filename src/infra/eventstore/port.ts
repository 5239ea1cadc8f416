/**
 * The event store port. Two adapters implement it: SQLite (embedded) and EventStoreDB.
 * Positions are global, strictly increasing numbers (SQLite rowid, ESDB commit position);
 * revisions are per stream and start at 0.
 */

import type { ActorType } from '../../domain/shared/actor.js';
import type { EventMetadata } from '../../domain/shared/event-metadata.js';

export type { ActorType, EventMetadata };
export { GENESIS_HASH, type ChainedFields, canonicalEvent, chainHash } from './hash-chain.js';

export interface EventToAppend<Type extends string = string, Data = unknown> {
  id: string; // uuid; deterministic ids make retries idempotent
  type: Type;
  data: Data;
  metadata: EventMetadata;
  /**
   * When the event was first recorded, for an event copied from another store (chronicle migrate);
   * otherwise the store stamps the append's time. SQLite keeps it; EventStoreDB always stamps its own
   * `created` (the client's EventData has no field for it), so there a copy shows the copy's time.
   */
  createdAt?: Date;
}

// Data defaults to any: a reader that has not narrowed the event by its type reads fields it knows are there.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface RecordedEvent<Type extends string = string, Data = any> {
  id: string;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  streamName: string;
  revision: number;
  position: number;
  createdAt: Date;
}

/** `no_stream`: the stream must not exist; a number: its current revision must be exactly that;
 * `any`: no check — for bookkeeping streams only, never on command paths. */
export type ExpectedRevision = 'no_stream' | 'any' | number;

export interface AppendResult {
  nextExpectedRevision: number; // revision of the last event in the stream
  position: number; // global position of the last appended event
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  fromRevision?: number; // inclusive; defaults to the start (or the end going backwards)
  maxCount?: number;
  /**
   * A read no append will be decided on (a check, a query). An adapter that holds a stream's second
   * read in one turn until the first reader's append is committed (SQLite's group commit) answers this
   * one at once: many checks of one stream (one API key's connections) are not put in a queue.
   */
  readOnly?: boolean;
}

export interface ReadAllOptions {
  after?: number; // exclusive; 0 or absent reads from the beginning
  /**
   * Inclusive: no event after this position is answered, and the read stops there (a past state
   * rebuilt up to a position); with `types`, rows past it are not scanned for the next match.
   */
  upTo?: number;
  maxCount?: number;
  types?: readonly string[]; // only these event types
  /**
   * Only events whose data has this top-level field with this value (one workspace's chat events, which
   * all name their `workspaceId`); events without the field are left out. Counts (maxCount, maxBytes)
   * apply to the events answered. The field must be one a sealed (personal) value never stands in.
   */
  dataEquals?: DataEquals;
  /**
   * Stop once the events read hold this many bytes of serialized data and metadata (at least one event
   * is answered): a batch of large events (document chunks, up to ~1 MB each) stays bounded in memory.
   */
  maxBytes?: number;
  /**
   * The caller only reads the events' fields (a replay): an adapter may then parse `metadata` and
   * `createdAt` on first read, as accessors rather than own properties (a spread or Object.keys does
   * not see them; JSON.stringify does). Adapters may ignore it.
   */
  lean?: boolean;
}

export interface DataEquals {
  field: string; // a top-level field of the event's data, [A-Za-z_][A-Za-z0-9_]*
  value: string | number;
}

/** Whether an event's data matches a `dataEquals` filter (for adapters that filter as they read). */
export const matchesData = (data: unknown, filter: DataEquals | undefined): boolean =>
  !filter ||
  (typeof data === 'object' && data !== null && (data as Record<string, unknown>)[filter.field] === filter.value);

export interface SubscribeOptions {
  after?: number; // exclusive
  types?: readonly string[];
}

/** Handles one batch at a time; the next batch is not delivered before the promise settles. */
export type BatchHandler = (events: RecordedEvent[]) => Promise<void>;

export interface Subscription {
  close(): Promise<void>;
}

/** Subscription errors an adapter has met: those it retried (transient) and those it gave up on. */
export interface SubscriptionErrors {
  retried: number;
  failed: number;
}

/**
 * An event as stored, with its link in the hash chain (hash-chain.ts): data and metadata are the stored
 * JSON text the hash covers. `hash` is null for events written before the log was chained.
 */
export interface StoredEvent {
  position: number;
  id: string;
  stream: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
  time: string;
  hash: string | null;
}

/** The newest chained event: its position, and its hash (null when it was written before the chain began). */
export interface ChainHead {
  position: number;
  hash: string | null;
}

/** What keeps a chain current, until stopped. */
export interface ChainKeeper {
  stop(): Promise<void>;
}

export interface ReadStoredOptions {
  after?: number; // exclusive
  maxCount: number;
  types?: readonly string[];
}

export interface EventStore {
  appendToStream(
    stream: string,
    events: readonly EventToAppend[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult>;
  /** Returns [] for a stream that does not exist. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Catch-up then live, strictly in order, batch by batch. A handler error ends the subscription
   * and is reported to onError; a dropped connection is retried with backoff by the adapter, and an error
   * no retry cures (access denied, a bad filter) ends it, is reported to onError, and fails ping() until a
   * later subscription of the same filter works. */
  subscribeToAll(options: SubscribeOptions, handler: BatchHandler, onError?: (err: Error) => void): Subscription;
  /** For metrics, where the adapter counts them. */
  subscriptionErrors?(): SubscriptionErrors;
  /**
   * Events as stored with their chain hashes, in position order, up to the chain's head: an adapter that
   * chains events after they are written (EventStoreDB) answers the newest ones once they are chained.
   */
  readStored(options: ReadStoredOptions): Promise<StoredEvent[]>;
  /** The newest chained event (null before the first). */
  chainHead(): Promise<ChainHead | null>;
  /**
   * Whether every event of the log is chained, from the first (EventStoreDB's seals): an event without a
   * hash is then a break. False where a log may begin with events written before the chain existed.
   */
  readonly chainedFromFirstEvent: boolean;
  /**
   * Starts what chains new events, where that is not done with each append (EventStoreDB's sealer): the
   * process that runs the projections calls it. Adapters that chain as they append lack it.
   */
  keepChain?(onError: (err: Error) => void): ChainKeeper;
  /** Global position of the newest event (0 when empty). */
  headPosition(): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The stream's revision did not match the expected one. */
export class ConcurrencyError extends Error {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | 'no_stream',
  ) {
    super(`Wrong expected revision on ${stream}: expected ${String(expected)}, actual ${String(actual)}`);
    this.name = 'ConcurrencyError';
  }
}

/**
 * The largest append every event store takes: 1,048,576 bytes, counted as the UTF-8 bytes of the
 * events' JSON data plus JSON metadata, summed over all the events of one append.
 *
 * It is EventStoreDB's default MaxAppendSize. The server checks the whole write, not each event (a
 * write of many small events fails as one large event would) and refuses it with
 * MaxAppendSizeExceededError (`maxAppendSize` in @eventstore/db-client). Every adapter checks the
 * same figure before writing, SQLite included, so the embedded default refuses what production would.
 * docker-compose.yml sets the server's limit to this figure explicitly; raise both together, never one.
 */
export const MAX_APPEND_BYTES = 1_048_576;

/** An append over MAX_APPEND_BYTES: nothing of it was written. */
export class AppendTooLargeError extends Error {
  constructor(
    readonly stream: string,
    readonly bytes: number,
  ) {
    super(
      `Append to ${stream} refused: ${bytes} bytes of event data and metadata exceed the limit of ${MAX_APPEND_BYTES}`,
    );
    this.name = 'AppendTooLargeError';
  }
}

/** An event's data and metadata as the JSON an adapter stores. */
export interface EventJson {
  data: string;
  metadata: string;
}

/**
 * The events' data and metadata as JSON, once their UTF-8 bytes are known to fit MAX_APPEND_BYTES (else
 * AppendTooLargeError): an adapter that stores the JSON writes these strings instead of serialising twice.
 */
export function jsonWithinAppendSize(stream: string, events: readonly EventToAppend[]): EventJson[] {
  let bytes = 0;
  const json = events.map((event) => {
    const data = JSON.stringify(event.data);
    const metadata = JSON.stringify(event.metadata);
    bytes += Buffer.byteLength(data ?? '') + Buffer.byteLength(metadata ?? '');
    return { data, metadata };
  });
  if (bytes > MAX_APPEND_BYTES) throw new AppendTooLargeError(stream, bytes);
  return json;
}

/** The bytes an append counts against MAX_APPEND_BYTES. */
export function appendBytes(events: readonly EventToAppend[]): number {
  let bytes = 0;
  for (const event of events)
    bytes +=
      Buffer.byteLength(JSON.stringify(event.data) ?? '') + Buffer.byteLength(JSON.stringify(event.metadata) ?? '');
  return bytes;
}

/** Throws AppendTooLargeError for an append over MAX_APPEND_BYTES; every adapter calls it (or jsonWithinAppendSize) before writing. */
export function assertAppendSize(stream: string, events: readonly EventToAppend[]): void {
  const bytes = appendBytes(events);
  if (bytes > MAX_APPEND_BYTES) throw new AppendTooLargeError(stream, bytes);
}
