import type { DocumentFormat } from '../../commands/documents/formats.js';

/**
 * A file that cannot be read. `reason` is written for clients (it becomes the document's error); the
 * message may hold a library's own words or the file's contents, so it goes to the server log only.
 */
export class ExtractionError extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
    this.name = 'ExtractionError';
  }
}

const FORMAT_NAMES: Record<DocumentFormat, string> = {
  txt: 'TXT file',
  md: 'MD file',
  csv: 'CSV file',
  json: 'JSON file',
  html: 'HTML file',
  pdf: 'PDF',
  docx: 'DOCX file',
};

/** "Could not extract text from this DOCX file" (+ ": <why>" when the cause is worth telling the uploader). */
export const couldNotExtract = (format: DocumentFormat, why?: string) =>
  `Could not extract text from this ${FORMAT_NAMES[format]}${why ? `: ${why}` : ''}.`;

/** A file past the extraction budget: the uploader learns which limit it crossed. */
export const overBudget = (format: DocumentFormat, why: string) =>
  new ExtractionError(`Over the extraction budget: ${why}`, couldNotExtract(format, why));
