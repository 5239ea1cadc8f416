/**
 * The budget one extraction runs within. Extraction happens in a worker thread whose heap is capped
 * and which is stopped at a deadline (see run-extraction.ts); the limits below refuse, before any
 * parser builds its tree, what would blow through that budget, so such a file fails with a reason
 * that names its cause instead of "out of memory".
 */

/** The worker's old-generation heap; a parser that needs more is stopped and the document fails. */
export const EXTRACTION_HEAP_MB = 512;

/** Wall-clock time one extraction may take, from the worker's start to its answer. */
export const EXTRACTION_TIMEOUT_MS = 120_000;

/**
 * Bytes of markup a file may unpack to: the XML parts of a DOCX once inflated (the ZIP's own sizes
 * are not trusted; the parts are inflated as a stream and counted), the bytes of any other format.
 */
export const MAX_UNPACKED_BYTES = 64 * 1024 * 1024;

/**
 * Tags a DOCX's XML parts may hold. mammoth keeps a tree of every element: measured at about 500
 * bytes of heap per tag (100,000 one-word paragraphs, 600,000 tags, took 290 MB), so 500,000 tags
 * stay well inside the worker's heap.
 */
export const MAX_DOCX_TAGS = 500_000;

/** Tags an HTML file may hold (its parser keeps a node per element as well). */
export const MAX_HTML_TAGS = 1_000_000;

/** Values (strings, numbers, objects, arrays, ...) a JSON file may hold: each becomes a line of text. */
export const MAX_JSON_VALUES = 1_000_000;

/** Pages a PDF may have. */
export const MAX_PDF_PAGES = 2_000;

/** Characters of text one file may yield, whatever its format. */
export const MAX_TEXT_CHARS = 64 * 1024 * 1024;
