/** Walks the whole event log against the hash chain, page by page. */
import { type EventStore, GENESIS_HASH } from '../infra/eventstore/port.js';
import { type ChainBreak, ChainVerifier } from './chain-verifier.js';
import { storedEvents } from './event-export.js';

export type LogVerdict =
  { ok: true; verifier: ChainVerifier } | { ok: false; verifier: ChainVerifier; failure: ChainBreak };

export async function verifyLog(store: EventStore, onEvent?: (position: number) => void): Promise<LogVerdict> {
  // Where the chain ended before the walk: a walk that stops short of it lost the newest chained events.
  const head = await store.chainHead();
  // Only a log that may predate its chain (an embedded one) may begin with events that carry no hash.
  const verifier = new ChainVerifier(store.chainedFromFirstEvent ? GENESIS_HASH : undefined);
  for await (const event of storedEvents(store)) {
    const failure = verifier.check(event);
    if (failure) return { ok: false, verifier, failure };
    onEvent?.(event.position);
  }
  if (head && verifier.lastPosition < head.position) {
    const reason = `the chain's head is missing: the log ends at position ${verifier.lastPosition}`;
    return { ok: false, verifier, failure: { position: head.position, reason } };
  }
  return { ok: true, verifier };
}
