/**
 * Seals the personal fields of events (domain/shared/personal-data.ts) under their subject's key, and
 * opens them again: a value whose key is destroyed (or that will not open) reads as "[erased]". Used by
 * the event store's encrypting decorator, and by readers of the stored rows (the embedded event logs).
 */
import { ERASED, PERSONAL_METADATA, personalFields, subjectOf } from '../../domain/shared/personal-data.js';
import type { KeyStore } from '../keystore/port.js';
import type { EventToAppend, RecordedEvent } from './port.js';
import { isSealed, open, seal, sealContext, type SealedValue } from './sealed-value.js';

type Json = Record<string, unknown>;

const metadataField = (name: string) => `metadata.${name}`;

/** Counts of what sealing did, for tools that report it (erase-legacy). */
export interface SealCounts {
  sealed: number;
  erased: number;
}

export class PersonalDataCipher {
  constructor(private readonly keys: KeyStore) {}

  /** The event with its personal values sealed (those already sealed, and nulls, as they are). */
  async sealEvent(event: EventToAppend, counts?: SealCounts): Promise<EventToAppend> {
    const fields = personalFields(event.type);
    const data = event.data as Json | null;
    const metadata = event.metadata as unknown as Json;
    const plain = (v: unknown) => v !== null && v !== undefined && !isSealed(v);
    const dataFields = data && typeof data === 'object' ? fields.filter((f) => plain(data[f])) : [];
    const metaFields = PERSONAL_METADATA.filter((f) => plain(metadata?.[f]));
    if (!dataFields.length && !metaFields.length) return event;

    const subject = subjectOf(event.type, event.data, event.metadata);
    const key = await this.keys.keyFor(subject);
    const sealOne = (field: string, value: unknown) => {
      if (counts) counts[key ? 'sealed' : 'erased'] += 1;
      return key ? seal(key, subject, sealContext(event.id, field), value) : ERASED;
    };
    const sealedData = dataFields.length ? { ...data } : data;
    for (const f of dataFields) sealedData![f] = sealOne(f, data![f]);
    const sealedMeta = { ...metadata };
    for (const f of metaFields) sealedMeta[f] = sealOne(metadataField(f), metadata[f]);
    return { ...event, data: sealedData, metadata: sealedMeta as unknown as EventToAppend['metadata'] };
  }

  /** The events with their sealed values opened; events without any come back as they are. */
  async openEvents(events: readonly RecordedEvent[]): Promise<RecordedEvent[]> {
    const kids = new Set<string>();
    const sealedOf = events.map((e) => {
      const found = sealedValuesOf(e);
      for (const [, v] of found) kids.add(v.kid);
      return found;
    });
    if (kids.size === 0) return events as RecordedEvent[];
    const keys = new Map<string, Buffer | null>();
    await Promise.all([...kids].map(async (kid) => keys.set(kid, await this.keys.find(kid))));
    return events.map((e, i) => (sealedOf[i]!.length ? openEvent(e, sealedOf[i]!, keys) : e));
  }
}

/** The sealed values of an event as [field path, value]: data fields, then `metadata.<field>`. */
function sealedValuesOf(event: RecordedEvent): [string, SealedValue][] {
  const out: [string, SealedValue][] = [];
  const data = event.data as Json | null;
  if (data && typeof data === 'object')
    for (const f of personalFields(event.type)) if (isSealed(data[f])) out.push([f, data[f] as SealedValue]);
  const metadata = event.metadata as unknown as Json | undefined;
  for (const f of PERSONAL_METADATA)
    if (isSealed(metadata?.[f])) out.push([metadataField(f), metadata![f] as SealedValue]);
  return out;
}

/**
 * The event with its sealed values opened when first read: a replay's projections read few of them
 * (hardly any reads `ip` or `userAgent`), and opening one costs ~18 µs (bench/sealed-events.js).
 * The keys were fetched before, so a read needs no I/O; the properties are enumerable, so spreads,
 * JSON and deep comparisons see the opened values.
 */
function openEvent(
  event: RecordedEvent,
  sealed: [string, SealedValue][],
  keys: Map<string, Buffer | null>,
): RecordedEvent {
  const data = { ...(event.data as Json) };
  const metadata = { ...(event.metadata as unknown as Json) };
  for (const [field, value] of sealed) {
    const inMetadata = field.startsWith('metadata.');
    const target = inMetadata ? metadata : data;
    const name = inMetadata ? field.slice('metadata.'.length) : field;
    openLazily(target, name, () => openOrErased(keys.get(value.kid) ?? null, sealContext(event.id, field), value));
  }
  return {
    id: event.id,
    type: event.type,
    data,
    metadata: metadata as unknown as RecordedEvent['metadata'],
    streamName: event.streamName,
    revision: event.revision,
    position: event.position,
    createdAt: event.createdAt,
  };
}

function openOrErased(key: Buffer | null, context: string, value: SealedValue): unknown {
  if (!key) return ERASED;
  try {
    return open(key, context, value);
  } catch {
    return ERASED; // not what was sealed under this key and context: nothing to show
  }
}

/** A property computed on first read, then plain data (also once assigned). */
function openLazily(target: Json, name: string, compute: () => unknown): void {
  const settle = (value: unknown) =>
    Object.defineProperty(target, name, { value, writable: true, enumerable: true, configurable: true });
  Object.defineProperty(target, name, {
    enumerable: true,
    configurable: true,
    get() {
      const value = compute();
      settle(value);
      return value;
    },
    set: settle,
  });
}
