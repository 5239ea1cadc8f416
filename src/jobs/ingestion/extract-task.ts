/**
 * One extraction: read the file, normalise its text, and split it when chunking is asked for. The
 * extraction worker runs it under a capped heap; small plain text runs it on the server's own thread.
 */
import { type ChunkOptions, splitSpans } from './chunk.js';
import type { DocumentFormat } from '../../commands/documents/formats.js';
import { normalizeWhitespace } from './normalize-whitespace.js';
import { readFormat } from './read-formats.js';

/** The normalised text, or with chunking asked for, its length and its chunks. */
export type ExtractionResult = { text: string } | { characters: number; chunks: { text: string; start: number }[] };

export async function extractTask(
  format: DocumentFormat,
  bytes: Buffer,
  chunking?: ChunkOptions,
): Promise<ExtractionResult> {
  const text = normalizeWhitespace(await readFormat(format, bytes));
  if (!chunking) return { text };
  const chunks = splitSpans(text, chunking).map(({ text: chunk, start }) => ({ text: chunk, start }));
  return { characters: text.length, chunks };
}
