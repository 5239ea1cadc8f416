/**
 * EventStoreDB's side of the sealed chain (chain-seals.ts): the seals in their own stream, and the
 * chained fields of an event as the client gives it.
 *
 * The stream's name starts with `$`, so it is a system stream: this port never shows it (esdb.ts skips
 * system records), and on a secured node writing it takes what reading $all already takes, an admin
 * (or a `$systemStreamAcl` granting it).
 */
import {
  BACKWARDS,
  END,
  type EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  type AllStreamRecordedEvent,
  type ReadStreamOptions,
  StreamNotFoundError,
  jsonEvent,
} from '@eventstore/db-client';
import { type ChainEvent, type RevisedSeal, type Seal, type SealStream, parseSeal } from './chain-seals.js';
import { concurrencyErrorOf } from './esdb-errors.js';

export const CHAIN_STREAM = '$chronicle-chain';
const SEAL_TYPE = 'ChainSealed';

/**
 * The fields the chain covers. The client hands JSON data and metadata back parsed (and data that is no
 * longer valid JSON as its text, metadata as bytes), so the chain covers them serialised again: the same
 * text for the same stored JSON, other text for any change to it.
 */
export function chainEventOf(event: AllStreamRecordedEvent): ChainEvent {
  return {
    position: Number(event.position.commit),
    id: event.id,
    stream: event.streamId,
    revision: Number(event.revision),
    type: event.type,
    data: JSON.stringify(event.data) ?? '',
    metadata: JSON.stringify(event.metadata ?? null),
    time: event.created.toISOString(),
  };
}

export class EsdbSealStream implements SealStream {
  constructor(private readonly client: EventStoreDBClient) {}

  async last(): Promise<RevisedSeal | null> {
    const [last] = await this.read({ direction: BACKWARDS, fromRevision: END, maxCount: 1 });
    return last ?? null;
  }

  async at(revision: number): Promise<Seal | null> {
    const [found] = await this.read({ direction: FORWARDS, fromRevision: BigInt(revision), maxCount: 1 });
    if (!found) return null;
    // A stream read starts at the first revision still there: a later one means seals were removed.
    if (found.revision !== revision) throw new Error(`The chain's seal at revision ${revision} is missing`);
    return found.seal;
  }

  // The seal is JSON like every event of ours; the exact expected revision is what keeps sealers from forking.
  async append(seal: Seal, expected: number | 'no_stream'): Promise<void> {
    const event = jsonEvent({ type: SEAL_TYPE, data: { ...seal } });
    try {
      await this.client.appendToStream(CHAIN_STREAM, event, {
        expectedRevision: expected === 'no_stream' ? NO_STREAM : BigInt(expected),
      });
    } catch (err) {
      throw concurrencyErrorOf(err, CHAIN_STREAM, expected) ?? err;
    }
  }

  private async read(options: ReadStreamOptions): Promise<RevisedSeal[]> {
    const out: RevisedSeal[] = [];
    try {
      for await (const { event } of this.client.readStream(CHAIN_STREAM, options)) {
        if (!event) continue;
        const revision = Number(event.revision);
        out.push({ revision, seal: parseSeal(event.data, revision) });
      }
    } catch (err) {
      if (err instanceof StreamNotFoundError) return [];
      throw err;
    }
    return out;
  }
}
