/** Walks the whole event log against the hash chain, page by page. */
import type { EventStore } from '../infra/eventstore/port.js';
import { type ChainBreak, ChainVerifier } from './chain-verifier.js';
import { storedEvents } from './event-export.js';

export type LogVerdict =
  { ok: true; verifier: ChainVerifier } | { ok: false; verifier: ChainVerifier; failure: ChainBreak };

export async function verifyLog(store: EventStore, onEvent?: (position: number) => void): Promise<LogVerdict> {
  const verifier = new ChainVerifier();
  for await (const event of storedEvents(store)) {
    const failure = verifier.check(event);
    if (failure) return { ok: false, verifier, failure };
    onEvent?.(event.position);
  }
  return { ok: true, verifier };
}
