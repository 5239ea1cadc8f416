/**
 * The event log as files: events as stored, filtered, read page by page (never the whole log in
 * memory), written as one line each, NDJSON or CSV.
 *
 * Personal values are exported as stored: their sealed envelopes (`{"$sealed":"aes-256-gcm","kid":…}`),
 * never plaintext and never opened here. That is what the hash chain covers, so `chronicle verify --file`
 * checks an export offline from the file alone; and an erased subject's envelopes can no longer be
 * opened by anyone, export or not. Readers who may see personal data read it through the API.
 */
import { eventLogName } from '../domain/event-logs/names.js';
import type { EventStore, StoredEvent } from '../infra/eventstore/port.js';

/** A bound: a global position, or an instant compared with each event's time. */
export type ExportBound = { position: number } | { time: Date };

export interface ExportFilter {
  from?: ExportBound; // inclusive
  to?: ExportBound; // inclusive
  types?: readonly string[];
  streamPrefix?: string;
}

export type ExportFormat = 'ndjson' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['ndjson', 'csv'];

/** Chunk events carry up to ~1 MB each: a page of them stays a few tens of MB at worst. */
const PAGE_EVENTS = 32;

/** Parses `--from`/`from=`: a position (digits) or an ISO 8601 instant; null when it is neither. */
export function parseBound(raw: string): ExportBound | null {
  if (/^\d+$/.test(raw)) return Number.isSafeInteger(Number(raw)) ? { position: Number(raw) } : null;
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw)) return null;
  const time = new Date(raw);
  return Number.isNaN(time.getTime()) ? null : { time };
}

/** The store's events that pass the filter, in position order. */
export async function* storedEvents(store: EventStore, filter: ExportFilter = {}): AsyncGenerator<StoredEvent> {
  const { from, to, types, streamPrefix } = filter;
  let after = from && 'position' in from ? Math.max(0, from.position - 1) : 0;
  const fromTime = from && 'time' in from ? from.time.toISOString() : undefined;
  const toTime = to && 'time' in to ? to.time.toISOString() : undefined;
  const toPosition = to && 'position' in to ? to.position : Number.POSITIVE_INFINITY;
  for (;;) {
    const page = await store.readStored({ after, maxCount: PAGE_EVENTS, types });
    for (const event of page) {
      if (event.position > toPosition) return;
      if (fromTime !== undefined && event.time < fromTime) continue; // ISO strings of one form compare as instants
      if (toTime !== undefined && event.time > toTime) continue;
      if (streamPrefix !== undefined && !event.stream.startsWith(streamPrefix)) continue;
      yield event;
    }
    if (page.length < PAGE_EVENTS) return;
    after = page[page.length - 1]!.position;
  }
}

/** One export line's fields: data and metadata as JSON values (re-encoded, they are the stored text the hash covers). */
export function exportRecord(e: StoredEvent) {
  return {
    position: e.position,
    id: e.id,
    stream: e.stream,
    revision: e.revision,
    type: e.type,
    event: eventLogName(e.type),
    data: JSON.parse(e.data) as unknown,
    metadata: JSON.parse(e.metadata) as unknown,
    time: e.time,
    hash: e.hash,
  };
}

export const CSV_HEADER = 'position,id,stream,revision,type,event,data,metadata,time,hash\n';

const csvCell = (value: string | number | null) => {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export function exportLine(e: StoredEvent, format: ExportFormat): string {
  if (format === 'ndjson') return `${JSON.stringify(exportRecord(e))}\n`;
  return `${[e.position, e.id, e.stream, e.revision, e.type, eventLogName(e.type), e.data, e.metadata, e.time, e.hash].map(csvCell).join(',')}\n`;
}

/** The export as text chunks, header first: pipe it (stream.Readable.from) so a slow reader holds the reading back. */
export async function* exportLines(
  store: EventStore,
  filter: ExportFilter,
  format: ExportFormat,
): AsyncGenerator<string> {
  if (format === 'csv') yield CSV_HEADER;
  for await (const event of storedEvents(store, filter)) yield exportLine(event, format);
}
