/**
 * `chronicle erase-legacy`: events written before personal data was sealed keep it in plaintext. This
 * writes a copy of the embedded log into a new file, every event through the encrypting store, so the
 * copy holds the same events (ids, streams, revisions, times, order) with their personal values sealed,
 * "[erased]" where the subject's key is already destroyed, and username/email reservation streams under
 * their digests; its hash chain is computed afresh. Events already sealed are copied as they are. The
 * original file is only read.
 */
import fs from 'node:fs';
import { verifyLog } from '../audit/verify-log.js';
import { type EncryptionCounts, EncryptingEventStore } from '../infra/eventstore/encrypting.js';
import { SqliteEventStore } from '../infra/eventstore/sqlite.js';
import type { KeyStore } from '../infra/keystore/port.js';
import { type CopyProgress, copyEventLog } from './copy-event-log.js';

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
  source: string,
  target: string,
  keys: KeyStore,
  onProgress?: (progress: CopyProgress) => void,
): Promise<EraseLegacyResult> {
  if (!fs.existsSync(source)) throw new Error(`No event log at ${source}`);
  // A new file only: never the original, never a half-written copy of another run.
  if (fs.existsSync(target)) throw new Error(`${target} exists: erase-legacy writes a new file, give another --out`);
  const from = SqliteEventStore.open(source);
  const counts: EncryptionCounts = { sealed: 0, erased: 0, renamedStreams: new Set() };
  const to = new EncryptingEventStore(SqliteEventStore.open(target), keys, counts);
  try {
    const copy = await copyEventLog(from, to, { onProgress });
    const verdict = await verifyLog(to);
    if (!verdict.ok) throw new Error(`The copy does not verify at position ${verdict.failure.position}`);
    return {
      events: copy.copied,
      sealed: counts.sealed,
      erased: counts.erased,
      renamedStreams: counts.renamedStreams.size,
      headPosition: await to.headPosition(),
      headHash: verdict.verifier.headHash,
    };
  } finally {
    await to.close();
    await from.close();
  }
}
