import type { Chunk } from '../../domain/documents/events.js';
import type { ChunkOptions } from './chunk.js';
import { ExtractionError } from './extraction-error.js';
import type { DocumentFormat } from '../../commands/documents/formats.js';
import { type ExtractionBudget, runExtraction } from './run-extraction.js';

export { ExtractionError } from './extraction-error.js';
export { ExtractionAborted } from './run-extraction.js';
export { normalizeWhitespace } from './normalize-whitespace.js';

/**
 * The plain text of an upload whose format detectFormat has settled, read in a worker thread within
 * the extraction budget (extraction-limits.ts). Rejects with an ExtractionError when the bytes cannot
 * be read, are past the budget, or hold no text; with ExtractionAborted when `signal` fires first.
 */
export async function extractText(
  format: DocumentFormat,
  bytes: Buffer,
  budget: ExtractionBudget = {},
): Promise<string> {
  const result = await runExtraction(format, bytes, budget);
  const text = 'text' in result ? result.text : '';
  if (text === '') throw noText(format);
  return text;
}

/** As extractText, then split by `options` in the same worker: the text's length and its chunks. */
export async function extractChunks(
  format: DocumentFormat,
  bytes: Buffer,
  options: ChunkOptions,
  budget: ExtractionBudget = {},
): Promise<{ characters: number; chunks: Chunk[] }> {
  const result = await runExtraction(format, bytes, budget, options);
  if (!('chunks' in result) || result.characters === 0) throw noText(format);
  return result;
}

function noText(format: DocumentFormat): ExtractionError {
  const message = `The ${format.toUpperCase()} file contains no extractable text`;
  return new ExtractionError(message, `${message}.`);
}
