import { Worker } from 'node:worker_threads';
import { convert } from 'html-to-text';
import mammoth from 'mammoth';
import { type DocumentFormat, stripBom, zipEntries } from '../../commands/documents/formats.js';

/**
 * A file that cannot be read. `reason` is written for clients (it becomes the document's error); the
 * message may hold a library's own words or the file's contents, so it goes to the server log only.
 */
export class ExtractionError extends Error {
  constructor(message: string, readonly reason: string) {
    super(message);
    this.name = 'ExtractionError';
  }
}

const unreadable = (format: DocumentFormat) =>
  `Could not extract text from this ${format === 'pdf' ? 'PDF' : `${format.toUpperCase()} file`}.`;

/**
 * The plain text of an upload whose format detectFormat has settled.
 * Rejects with an ExtractionError when the bytes cannot be read or hold no text.
 */
export async function extractText(format: DocumentFormat, bytes: Buffer): Promise<string> {
  let raw: string;
  try {
    raw = await extractRaw(format, bytes);
  } catch (err) {
    if (err instanceof ExtractionError) throw err;
    throw new ExtractionError((err as Error)?.message || String(err), unreadable(format));
  }
  const text = normalizeWhitespace(raw);
  if (text === '') {
    const message = `The ${format.toUpperCase()} file contains no extractable text`;
    throw new ExtractionError(message, `${message}.`);
  }
  return text;
}

async function extractRaw(format: DocumentFormat, bytes: Buffer): Promise<string> {
  switch (format) {
    case 'txt': case 'md': case 'csv': return utf8(bytes);
    case 'json': return jsonToText(bytes);
    case 'html': return htmlToText(utf8(bytes));
    case 'pdf': return pdfToText(bytes);
    case 'docx': return docxToText(bytes);
  }
}

function utf8(bytes: Buffer): string {
  return stripBom(bytes).toString('utf8');
}

/**
 * JSON becomes `path: value` lines rather than pretty-printed JSON: once the
 * text is cut into chunks, each value still carries its full key path (a
 * chunk from the middle of a big object stays self-explanatory), and braces
 * and quotes add nothing to retrieval.
 */
function jsonToText(bytes: Buffer): string {
  let value: unknown;
  try {
    value = JSON.parse(utf8(bytes));
  } catch (err) {
    throw new ExtractionError(`Could not read JSON: ${(err as Error).message}`, 'Could not extract text from this JSON file: it is not valid JSON.');
  }
  const lines: string[] = [];
  flatten(value, '', 0, lines);
  return lines.join('\n');
}

const MAX_JSON_DEPTH = 64;

function flatten(value: unknown, path: string, depth: number, lines: string[]): void {
  const label = (text: string) => (path ? `${path}: ${text}` : text);
  if (value === null || typeof value !== 'object') {
    lines.push(label(String(value)));
  } else if (depth >= MAX_JSON_DEPTH) {
    // Deeper than anyone reads: keep the values, without recursing (JSON.stringify would overflow the stack too).
    lines.push(label(leafValues(value).join(' ')));
  } else if (Array.isArray(value)) {
    if (value.length === 0) lines.push(label('[]'));
    else if (value.every((item) => item === null || typeof item !== 'object')) lines.push(label(value.map(String).join(', ')));
    else value.forEach((item, i) => flatten(item, `${path}[${i}]`, depth + 1, lines));
  } else {
    const keys = Object.keys(value);
    if (keys.length === 0) lines.push(label('{}'));
    for (const key of keys) flatten((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key, depth + 1, lines);
  }
}

function leafValues(root: object): string[] {
  const out: string[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') out.push(String(value));
    else {
      const children = Object.values(value);
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    }
  }
  return out;
}

/** Visible text only: scripts, styles, navigation and embedded objects go, links keep their words but not their URLs. */
function htmlToText(html: string): string {
  const skip = (selector: string) => ({ selector, format: 'skip' });
  return convert(html, {
    wordwrap: false,
    limits: { maxInputLength: Number.MAX_SAFE_INTEGER }, // the default silently truncates past 16 MiB
    selectors: [
      ...['script', 'style', 'noscript', 'template', 'nav', 'svg', 'canvas', 'iframe', 'object', 'embed', 'head', 'img'].map(skip),
      { selector: 'a', options: { ignoreHref: true } },
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
    ],
  });
}

/**
 * PDFs are parsed by pdf-parse (pdf.js) in a worker thread: pdf.js runs its
 * "worker" on the calling thread under Node, so a large or hostile PDF would
 * otherwise stall the event loop; here it gets a memory cap and a deadline
 * instead. (It also keeps pdf.js's dynamic import of its worker module in
 * plain Node, which test runners with their own module loader cannot follow.)
 */
async function pdfToText(bytes: Buffer): Promise<string> {
  const data = new Uint8Array(bytes); // a copy, moved to the worker: the caller keeps its buffer
  const worker = new Worker(PDF_WORKER_SOURCE, {
    eval: true,
    workerData: { module: require.resolve('pdf-parse'), data },
    transferList: [data.buffer],
    resourceLimits: { maxOldGenerationSizeMb: PDF_MEMORY_MB },
    stdout: true, // pdf.js may print; none of it belongs in our logs
    stderr: true,
  });
  worker.stdout.resume();
  worker.stderr.resume();
  try {
    const reply = await new Promise<{ text?: string; error?: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`it took longer than ${PDF_TIMEOUT_MS / 1000} s to read`)), PDF_TIMEOUT_MS);
      worker.once('message', (message: { text?: string; error?: string }) => { clearTimeout(timer); resolve(message); });
      worker.once('error', (err) => { clearTimeout(timer); reject(err); });
      worker.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the reader stopped unexpectedly (exit code ${code})`)); });
    });
    if (reply.error !== undefined) throw new Error(reply.error);
    return reply.text ?? '';
  } catch (err) {
    const detail = (err as Error).message || String(err);
    // The two causes worth telling the uploader; anything else is pdf.js's business and the log's.
    const known = detail === PASSWORD_PROTECTED || detail.startsWith('it took longer than') ? `: ${detail}` : '';
    throw new ExtractionError(`Could not read PDF: ${detail}`, known ? `Could not extract text from this PDF${known}.` : unreadable('pdf'));
  } finally {
    await worker.terminate();
  }
}

const PDF_TIMEOUT_MS = 60_000;
const PASSWORD_PROTECTED = 'it is password-protected';
const PDF_MEMORY_MB = 512;

// Runs in the worker (plain CommonJS). fetch is disabled outright: the PDF comes as bytes, so
// any network access (fonts, CMaps, a crafted reference) is a bug or an attack and must fail.
const PDF_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
globalThis.fetch = () => Promise.reject(new Error('network access is disabled while reading a PDF'));
const { PDFParse } = require(workerData.module);
(async () => {
  const parser = new PDFParse({
    data: workerData.data,
    isEvalSupported: false, // never compile code from a PDF's functions
    useSystemFonts: false,
    verbosity: 0, // errors only: warnings about absent standard fonts do not matter for text
  });
  try {
    const result = await parser.getText({ pageJoiner: '' }); // no "-- 1 of 3 --" page markers
    parentPort.postMessage({ text: result.text });
  } catch (err) {
    const reason = err && err.name === 'PasswordException' ? ${JSON.stringify(PASSWORD_PROTECTED)} : String((err && err.message) || err);
    parentPort.postMessage({ error: reason });
  } finally {
    await parser.destroy();
  }
})();
`;

/** A cap on the inflated main part, so a small ZIP cannot blow up into gigabytes of XML. */
const MAX_DOCX_XML_BYTES = 256 * 1024 * 1024;

async function docxToText(bytes: Buffer): Promise<string> {
  // The sizes come from the ZIP's own directory: a guard against accidents and crude bombs, not a proof.
  const declared = zipEntries(bytes)?.reduce((sum, entry) => sum + (entry.name.endsWith('.xml') ? entry.uncompressedSize : 0), 0);
  if (declared === undefined) throw new ExtractionError('Could not read DOCX: not a valid ZIP archive', 'Could not extract text from this DOCX file: it is not a valid DOCX package.');
  if (declared > MAX_DOCX_XML_BYTES) {
    throw new ExtractionError('Could not read DOCX: its content is too large once unpacked', 'Could not extract text from this DOCX file: its content is too large once unpacked.');
  }
  try {
    const result = await mammoth.extractRawText({ buffer: bytes });
    return result.value;
  } catch (err) {
    throw new Error(`Could not read DOCX: ${(err as Error).message || String(err)}`);
  }
}

// What the first three passes of normalizeWhitespace rewrite: carriage returns, page and other breaks, control and zero-width
// characters. Ordinary text has none, and one scan finding none is cheaper than three passes scanning for them.
const RARE_CHARACTERS = /[\r\f\v\u2028\u2029\u0000-\u0008\u000e-\u001f\u007f\u200b\u2060\ufeff]/;

/**
 * One space between words, one blank line between paragraphs, no trailing
 * spaces, no control or zero-width characters; line breaks inside a
 * paragraph are kept (they matter in CSV and Markdown).
 */
export function normalizeWhitespace(text: string): string {
  const plain = RARE_CHARACTERS.test(text)
    ? text
      .replace(/\r\n?/g, '\n')
      .replace(/[\f\v\u2028\u2029]/g, '\n\n')
      .replace(/[\u0000-\u0008\u000e-\u001f\u007f\u200b\u2060\ufeff]/g, '')
    : text;
  return plain
    // Only runs that change: a lone space or a bare line break matches nothing, so ordinary prose is
    // scanned without being rebuilt (replacing every space with itself cost ~7x more on plain text).
    .replace(/[^\S\n ][^\S\n]*| [^\S\n]+/g, ' ')
    .replace(/ +\n *|\n +/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
