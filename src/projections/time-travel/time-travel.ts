import type { EventStore } from '../../infra/eventstore/port.js';
import type { ReadStore } from '../../infra/readstore/port.js';
import { type PastRead, type PastReadStats, pastReadStore } from './past-read-store.js';
import { type AsOf, positionOf } from './position-at.js';

export type { AsOf, PastRead };

/** Reads as of a past moment: the read store a read's queries would have met then. */
export class TimeTravel {
  constructor(
    private readonly store: EventStore,
    private readonly db: ReadStore,
    private readonly scratch: () => ReadStore,
  ) {}

  /** The position a moment names: the last event at or before an instant. */
  position(asOf: AsOf): Promise<number> {
    return positionOf(this.store, asOf);
  }

  async readStore(read: PastRead, asOf: AsOf, stats?: (s: PastReadStats) => void): Promise<ReadStore> {
    const position = await this.position(asOf);
    return pastReadStore({ store: this.store, db: this.db, scratch: this.scratch }, read, position, stats);
  }
}
