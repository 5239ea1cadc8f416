/**
 * The event store as every layer above infra sees it: personal data sealed on the way in, opened on
 * the way out. The one boundary where encryption happens, so deciders, projections (live, replayed or
 * as of a past instant) and reactors read plaintext, or "[erased]" once a subject's key is destroyed,
 * while the stored events, their hash chain (readStored) and exports hold only sealed values.
 *
 * Reservation streams of usernames and emails (`username-alice`) would put the value itself in the
 * stored stream name: they are stored under a keyed digest of it (`username-~<HMAC>`), the HMAC key kept
 * in the key store. A reservation made before this change stays on its plaintext stream, read and written
 * there, until `chronicle erase-legacy` moves it.
 */
import { createHmac } from 'node:crypto';
import type { KeyStore } from '../keystore/port.js';
import { PersonalDataCipher, type SealCounts } from './personal-data-cipher.js';
import type {
  AppendResult,
  BatchHandler,
  ChainHead,
  ChainKeeper,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  ReadStoredOptions,
  ReadStreamOptions,
  RecordedEvent,
  StoredEvent,
  SubscribeOptions,
  Subscription,
  SubscriptionErrors,
} from './port.js';

/** Categories whose stream names carry personal data (commands/shared/reservation.ts names them). */
const PERSONAL_STREAM_CATEGORIES = new Set(['username', 'email']);
/** The key store's subject for the stream names' HMAC key; no one's, never destroyed. */
export const STREAM_NAMES_KEY = 'stream-names';
/** Starts a digested name: '~' is in no valid username or email, so a digest is never digested again. */
const DIGEST_MARK = '~';

/** What a store's appends sealed (a tool that rewrites a log reports it): values, and streams renamed. */
export interface EncryptionCounts extends SealCounts {
  renamedStreams: Set<string>;
}

export class EncryptingEventStore implements EventStore {
  readonly cipher: PersonalDataCipher;
  /** Where the adapter chains events after their append (EventStoreDB). */
  keepChain?: (onError: (err: Error) => void) => ChainKeeper;
  /** The adapter's counts, where it keeps them. */
  subscriptionErrors?: () => SubscriptionErrors;

  constructor(
    readonly inner: EventStore,
    private readonly keys: KeyStore,
    private readonly counts?: EncryptionCounts,
  ) {
    this.cipher = new PersonalDataCipher(keys);
    if (inner.keepChain) this.keepChain = inner.keepChain.bind(inner);
    if (inner.subscriptionErrors) this.subscriptionErrors = inner.subscriptionErrors.bind(inner);
  }

  /** The stored name of a stream whose name is personal (else the name itself). */
  async storedStreamName(stream: string): Promise<string> {
    const dash = stream.indexOf('-');
    if (dash <= 0 || !PERSONAL_STREAM_CATEGORIES.has(stream.slice(0, dash))) return stream;
    const value = stream.slice(dash + 1);
    if (value.startsWith(DIGEST_MARK)) return stream;
    const key = await this.keys.keyFor(STREAM_NAMES_KEY);
    if (!key) throw new Error('The stream-name key was destroyed: reservations can no longer be found');
    const digest = createHmac('sha256', key).update(value).digest('base64url');
    return `${stream.slice(0, dash)}-${DIGEST_MARK}${digest}`;
  }

  /** Where a personal stream lives: its digested name, unless only its legacy plaintext stream exists. */
  private async resolveStream(stream: string): Promise<string> {
    const stored = await this.storedStreamName(stream);
    if (stored === stream) return stream;
    const [digested] = await this.inner.readStream(stored, { maxCount: 1, readOnly: true });
    if (digested) return stored;
    const [legacy] = await this.inner.readStream(stream, { maxCount: 1, readOnly: true });
    return legacy ? stream : stored;
  }

  async appendToStream(
    stream: string,
    events: readonly EventToAppend[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    const sealed = await Promise.all(events.map((e) => this.cipher.sealEvent(e, this.counts)));
    const stored = await this.resolveStream(stream);
    if (stored !== stream) this.counts?.renamedStreams.add(stream);
    return this.inner.appendToStream(stored, sealed, expectedRevision);
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.cipher.openEvents(await this.inner.readStream(await this.resolveStream(stream), options));
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.cipher.openEvents(await this.inner.readAll(options));
  }

  subscribeToAll(options: SubscribeOptions, handler: BatchHandler, onError?: (err: Error) => void): Subscription {
    return this.inner.subscribeToAll(options, async (events) => handler(await this.cipher.openEvents(events)), onError);
  }

  /** As stored: sealed values, which the hash chain covers. */
  readStored(options: ReadStoredOptions): Promise<StoredEvent[]> {
    return this.inner.readStored(options);
  }

  chainHead(): Promise<ChainHead | null> {
    return this.inner.chainHead();
  }

  get chainedFromFirstEvent(): boolean {
    return this.inner.chainedFromFirstEvent;
  }

  headPosition(): Promise<number> {
    return this.inner.headPosition();
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
