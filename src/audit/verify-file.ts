/**
 * Checks an NDJSON export against the hash chain from the file alone: a full export (its first link
 * chains from the start of the log), or one from a later position given the hash of the event before it.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import type { StoredEvent } from '../infra/eventstore/port.js';
import { type ChainBreak, ChainVerifier } from './chain-verifier.js';

export type FileVerdict =
  { ok: true; verifier: ChainVerifier } | { ok: false; verifier: ChainVerifier; failure: ChainBreak };

/** An export line back as the stored event: data and metadata re-encoded as they were stored (JSON.stringify). */
function storedFromLine(line: string): StoredEvent {
  const r = JSON.parse(line) as Record<string, unknown>;
  const text = (k: string) => {
    if (typeof r[k] !== 'string') throw new Error(`"${k}" is missing or not a string`);
    return r[k] as string;
  };
  if (typeof r.position !== 'number' || typeof r.revision !== 'number')
    throw new Error('"position" or "revision" is missing');
  if (r.hash !== null && typeof r.hash !== 'string') throw new Error('"hash" is not a string');
  return {
    position: r.position,
    id: text('id'),
    stream: text('stream'),
    revision: r.revision,
    type: text('type'),
    data: JSON.stringify(r.data),
    metadata: JSON.stringify(r.metadata),
    time: text('time'),
    hash: r.hash as string | null,
  };
}

export async function verifyExportFile(
  file: string,
  previousHash?: string,
  onEvent?: (bytesRead: number) => void,
): Promise<FileVerdict> {
  const input = fs.createReadStream(file);
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  const verifier = new ChainVerifier(previousHash);
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo += 1;
      if (line.trim() === '') continue;
      let event: StoredEvent;
      try {
        event = storedFromLine(line);
      } catch (err) {
        const position = verifier.lastPosition + 1;
        return {
          ok: false,
          verifier,
          failure: { position, reason: `line ${lineNo} is not an exported event: ${(err as Error).message}` },
        };
      }
      const failure = verifier.check(event);
      if (failure && verifier.headHash === null && event.hash !== null) {
        // The file's first link does not chain from the start of the log: cut at its head, or a partial export.
        failure.reason += ': a file not from the start of the log needs the hash before it (--previous-hash)';
      }
      if (failure) return { ok: false, verifier, failure };
      onEvent?.(input.bytesRead);
    }
  } finally {
    lines.close();
    input.destroy();
  }
  return { ok: true, verifier };
}
