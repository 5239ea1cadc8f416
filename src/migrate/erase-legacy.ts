/**
 * `chronicle erase-legacy`: events written before personal data was sealed keep it in plaintext. This
 * writes a copy of the embedded log into a new file, every event through the encrypting store, so the
 * copy holds the same events (ids, streams, revisions, times, order) with their personal values sealed,
 * "[erased]" where the subject's key is already destroyed, and username/email reservation streams under
 * their digests; its hash chain is computed afresh. Events already sealed are copied as they are. The
 * original is only read. The composition root opens the stores (app.ts, openSealingCopy).
 */
import { verifyLog } from '../audit/verify-log.js';
import type { EventStore } from '../infra/eventstore/port.js';
import { type CopyProgress, copyEventLog } from './copy-event-log.js';

/** The log as stored, and a new, empty one that seals what is appended, counting what it did. */
export interface SealingCopy {
  source: EventStore;
  target: EventStore;
  counts: { sealed: number; erased: number; renamedStreams: Set<string> };
  close(): Promise<void>;
}

export interface EraseLegacyResult {
  events: number;
  /** Plaintext personal values now sealed. */
  sealed: number;
  /** Plaintext personal values written as "[erased]": their subject's key was destroyed. */
  erased: number;
  /** Reservation streams renamed to their digest. */
  renamedStreams: number;
  headPosition: number;
  headHash: string | null;
}

export async function eraseLegacy(
  { source, target, counts }: SealingCopy,
  onProgress?: (progress: CopyProgress) => void,
): Promise<EraseLegacyResult> {
  if ((await target.headPosition()) !== 0) throw new Error('erase-legacy writes into a new, empty log only');
  const copy = await copyEventLog(source, target, { onProgress });
  const verdict = await verifyLog(target);
  if (!verdict.ok) throw new Error(`The copy does not verify at position ${verdict.failure.position}`);
  return {
    events: copy.copied,
    sealed: counts.sealed,
    erased: counts.erased,
    renamedStreams: counts.renamedStreams.size,
    headPosition: await target.headPosition(),
    headHash: verdict.verifier.headHash,
  };
}
