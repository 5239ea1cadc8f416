import { ExtractionError } from './extraction-error.js';
import type { DocumentFormat } from './formats.js';
import { type ExtractionBudget, runExtraction } from './run-extraction.js';

export { ExtractionError } from './extraction-error.js';
export { ExtractionAborted } from './run-extraction.js';
export { normalizeWhitespace } from './normalize-whitespace.js';

/**
 * The plain text of an upload whose format detectFormat has settled, read in a worker thread within
 * the extraction budget (extraction-limits.ts). Rejects with an ExtractionError when the bytes cannot
 * be read, are past the budget, or hold no text; with ExtractionAborted when `signal` fires first.
 */
export async function extractText(format: DocumentFormat, bytes: Buffer, budget: ExtractionBudget = {}): Promise<string> {
  const text = await runExtraction(format, bytes, budget);
  if (text === '') {
    const message = `The ${format.toUpperCase()} file contains no extractable text`;
    throw new ExtractionError(message, `${message}.`);
  }
  return text;
}
