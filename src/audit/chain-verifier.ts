/**
 * Checks a run of stored events against the hash chain, one event at a time, in position order: the
 * log walk (`chronicle verify`) and an export file (`chronicle verify --file`) both feed it.
 */
import { GENESIS_HASH, type StoredEvent, chainHash } from '../infra/eventstore/port.js';

/** The first event that does not fit: its position and why. */
export interface ChainBreak {
  position: number;
  reason: string;
}

export class ChainVerifier {
  /** Events checked, those before the chain began (no hash) included. */
  count = 0;
  /** Events written before the log was chained: they carry no hash, and nothing proves them. */
  unhashed = 0;
  lastPosition = 0;
  /** The hash of the last event checked (null while only unhashed events were seen). */
  headHash: string | null;
  private chained: boolean;

  /**
   * `previousHash`: the hash of the event before the first one given (a partial export), or GENESIS_HASH
   * for a log chained from its first event; every event must then carry one.
   */
  constructor(previousHash?: string) {
    this.chained = previousHash !== undefined;
    this.headHash = previousHash ?? null;
  }

  check(event: StoredEvent): ChainBreak | null {
    if (!Number.isSafeInteger(event.position) || event.position <= this.lastPosition) {
      return {
        position: event.position,
        reason: `out of order: position ${event.position} follows ${this.lastPosition}`,
      };
    }
    if (event.hash === null) {
      if (this.chained) return { position: event.position, reason: 'has no hash, yet it lies inside the chain' };
      this.unhashed += 1;
    } else {
      const previous = this.chained ? this.headHash! : GENESIS_HASH;
      if (chainHash(previous, event) !== event.hash) {
        return { position: event.position, reason: 'the event or its hash does not match the chain' };
      }
      this.chained = true;
      this.headHash = event.hash;
    }
    this.count += 1;
    this.lastPosition = event.position;
    return null;
  }
}
