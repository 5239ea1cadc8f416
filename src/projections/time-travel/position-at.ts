import type { EventStore } from '../../infra/eventstore/port.js';

/** A moment of the log: an instant, or a global position. */
export type AsOf = { instant: Date } | { position: number };

/** The first event at or after `position`, or undefined past the head. */
async function firstFrom(store: EventStore, position: number) {
  const [event] = await store.readAll({ after: Math.max(0, position - 1), maxCount: 1, lean: true });
  return event;
}

/**
 * The position of the last event recorded at or before `instant` (0 before the first event; the head
 * for an instant after it). Events are recorded in position order, so their times rise with their
 * positions: a binary search over positions finds it in about log2(head) reads of one event, with no
 * time index the event store would have to keep. Positions may be sparse (EventStoreDB's commit
 * positions): each probe reads the first event at or after the middle.
 */
export async function positionAt(store: EventStore, instant: Date): Promise<number> {
  const time = instant.getTime();
  const head = await store.headPosition();
  if (head === 0) return 0;
  const last = await firstFrom(store, head);
  if (last && last.createdAt.getTime() <= time) return head;
  let lo = 0; // an event at or before the instant (0: none), or the start
  let hi = head; // the answer is at most this
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    const event = await firstFrom(store, mid);
    if (event && event.position <= hi && event.createdAt.getTime() <= time) lo = event.position;
    else hi = mid - 1;
  }
  return lo;
}

/** The position a moment names. */
export const positionOf = (store: EventStore, asOf: AsOf): Promise<number> =>
  'position' in asOf ? Promise.resolve(asOf.position) : positionAt(store, asOf.instant);
