/**
 * An in-memory stand-in for @eventstore/db-client's EventStoreDBClient, for the adapter code that a
 * server cannot check here. It keeps what the client's documentation and type definitions (6.2) say
 * the server does, and nothing more:
 * - $all holds every record, system ones included (streams and types starting with `$`), at increasing
 *   commit positions that are not consecutive; a read from a position includes that position.
 * - a stream read starts at `fromRevision` (or the end, backwards) and fails with StreamNotFoundError
 *   for a stream that was never written;
 * - an append is refused with WrongExpectedVersionError unless the expected revision holds;
 * - data and metadata are kept as the JSON text written, and parsed again on every read.
 * The text can be edited in place (`records`), as someone with the server's files could.
 */
import {
  ANY,
  type AppendExpectedRevision,
  BACKWARDS,
  END,
  type EventData,
  type EventStoreDBClient,
  NO_STREAM,
  type Position,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  jsonEvent,
} from '@eventstore/db-client';

export interface StoredRecord {
  id: string;
  streamId: string;
  revision: bigint;
  type: string;
  data: string;
  metadata: string;
  created: Date;
  position: Position;
}

type ReadOptions = {
  direction?: typeof BACKWARDS | 'forwards';
  fromPosition?: Position | typeof START | typeof END;
  fromRevision?: bigint | typeof START | typeof END;
  maxCount?: number | bigint;
};

const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text; // what the client hands back for JSON that no longer parses
  }
};

/** A read the way the client gives it: an async iterable of resolved events that can be cancelled. */
function streamingRead(records: StoredRecord[], onYield: () => void = () => {}) {
  let cancelled = false;
  return {
    cancel: async () => {
      cancelled = true;
    },
    async *[Symbol.asyncIterator]() {
      for (const r of records) {
        if (cancelled) return;
        await Promise.resolve();
        const event = { ...r, isJson: true, data: parsed(r.data), metadata: parsed(r.metadata) };
        onYield();
        yield { event, commitPosition: r.position.commit };
      }
    },
  };
}

export class EsdbClientDouble {
  readonly records: StoredRecord[] = [];
  /** How many records each read of $all handed out, in the order the reads were asked for. */
  readonly allReads: number[] = [];
  private nextPosition = 1000n;

  /** A record the server writes itself ($stats, scavenges...): in $all, never ours. */
  systemRecord(): void {
    this.write('$stats-127.0.0.1:2113', [jsonEvent({ type: '$statsCollected', data: {} })]);
  }

  asClient(): EventStoreDBClient {
    return this as unknown as EventStoreDBClient;
  }

  async appendToStream(
    stream: string,
    events: EventData | EventData[],
    { expectedRevision = ANY }: { expectedRevision?: AppendExpectedRevision } = {},
  ) {
    const current = this.revisionOf(stream);
    const holds =
      expectedRevision === ANY ||
      (expectedRevision === NO_STREAM && current === undefined) ||
      (expectedRevision === STREAM_EXISTS && current !== undefined) ||
      expectedRevision === current;
    if (!holds)
      throw new WrongExpectedVersionError(undefined, {
        streamName: stream,
        expected: expectedRevision,
        current: current ?? NO_STREAM,
      });
    const written = this.write(stream, Array.isArray(events) ? events : [events]);
    return { success: true, nextExpectedRevision: written.revision, position: written.position };
  }

  readAll(options: ReadOptions = {}) {
    const backwards = options.direction === BACKWARDS;
    const from = options.fromPosition ?? (backwards ? END : START);
    let records = backwards ? [...this.records].reverse() : [...this.records];
    if (typeof from === 'object')
      records = records.filter((r) =>
        backwards ? r.position.commit <= from.commit : r.position.commit >= from.commit,
      );
    const read = this.allReads.push(0) - 1;
    return streamingRead(records.slice(0, Number(options.maxCount ?? Number.MAX_SAFE_INTEGER)), () => {
      this.allReads[read]! += 1;
    });
  }

  readStream(stream: string, options: ReadOptions = {}) {
    const backwards = options.direction === BACKWARDS;
    let records = this.records.filter((r) => r.streamId === stream);
    if (backwards) records.reverse();
    const from = options.fromRevision ?? (backwards ? END : START);
    if (typeof from === 'bigint')
      records = records.filter((r) => (backwards ? r.revision <= from : r.revision >= from));
    const read = streamingRead(records.slice(0, Number(options.maxCount ?? Number.MAX_SAFE_INTEGER)));
    const exists = this.revisionOf(stream) !== undefined;
    return {
      cancel: read.cancel,
      async *[Symbol.asyncIterator]() {
        if (!exists) throw new StreamNotFoundError(undefined, stream);
        yield* read;
      },
    };
  }

  async dispose(): Promise<void> {}

  private revisionOf(stream: string): bigint | undefined {
    const last = this.records.findLast((r) => r.streamId === stream);
    return last?.revision;
  }

  private write(stream: string, events: EventData[]): StoredRecord {
    let revision = this.revisionOf(stream) ?? -1n;
    let record: StoredRecord | undefined;
    for (const e of events) {
      this.nextPosition += 137n; // not consecutive, as EventStoreDB's byte offsets are not
      record = {
        id: e.id,
        streamId: stream,
        revision: ++revision,
        type: e.type,
        data: JSON.stringify(e.data),
        metadata: JSON.stringify(e.metadata ?? null),
        created: new Date(),
        position: { commit: this.nextPosition, prepare: this.nextPosition },
      };
      this.records.push(record);
    }
    return record!;
  }
}
