/**
 * Turns the bytes of each format into raw text, within the limits of extraction-limits.ts. Runs in
 * the extraction worker thread (see extraction-worker.ts); only small plain text, which is decoded and
 * nothing more, is read on the server's own thread (run-extraction.ts, INLINE_TEXT_BYTES).
 */
import type JSZip from 'jszip';
import { couldNotExtract, ExtractionError, overBudget } from './extraction-error.js';
import {
  MAX_DOCX_TAGS,
  MAX_HTML_TAGS,
  MAX_JSON_VALUES,
  MAX_PDF_PAGES,
  MAX_TEXT_CHARS,
  MAX_UNPACKED_BYTES,
} from './extraction-limits.js';
import { type DocumentFormat, stripBom } from '../../commands/documents/formats.js';

export async function readFormat(format: DocumentFormat, bytes: Buffer): Promise<string> {
  if (format !== 'docx' && format !== 'pdf' && bytes.length > MAX_UNPACKED_BYTES) {
    throw overBudget(format, `it is larger than ${mib(MAX_UNPACKED_BYTES)}`);
  }
  const text = await readRaw(format, bytes);
  if (text.length > MAX_TEXT_CHARS)
    throw overBudget(format, `it holds more than ${MAX_TEXT_CHARS.toLocaleString('en')} characters of text`);
  return text;
}

async function readRaw(format: DocumentFormat, bytes: Buffer): Promise<string> {
  switch (format) {
    case 'txt':
    case 'md':
    case 'csv':
      return utf8(bytes);
    case 'json':
      return jsonToText(bytes);
    case 'html':
      return htmlToText(bytes);
    case 'pdf':
      return pdfToText(bytes);
    case 'docx':
      return docxToText(bytes);
  }
}

const mib = (bytes: number) => `${bytes / (1024 * 1024)} MB`;

function utf8(bytes: Buffer): string {
  return stripBom(bytes).toString('utf8');
}

const LESS_THAN = 0x3c;

/** Counts '<' bytes: every start tag, end tag, comment or declaration has one, so this bounds the elements. */
function countTags(bytes: Uint8Array): number {
  let tags = 0;
  for (let at = bytes.indexOf(LESS_THAN); at >= 0; at = bytes.indexOf(LESS_THAN, at + 1)) tags++;
  return tags;
}

/**
 * JSON becomes `path: value` lines rather than pretty-printed JSON: once the
 * text is cut into chunks, each value still carries its full key path (a
 * chunk from the middle of a big object stays self-explanatory), and braces
 * and quotes add nothing to retrieval.
 */
function jsonToText(bytes: Buffer): string {
  const values = countJsonValues(stripBom(bytes));
  if (values > MAX_JSON_VALUES)
    throw overBudget('json', `it holds more than ${MAX_JSON_VALUES.toLocaleString('en')} values`);
  let value: unknown;
  try {
    value = JSON.parse(utf8(bytes));
  } catch (err) {
    throw new ExtractionError(
      `Could not read JSON: ${(err as Error).message}`,
      couldNotExtract('json', 'it is not valid JSON'),
    );
  }
  const lines: string[] = [];
  flatten(value, '', 0, lines);
  return lines.join('\n');
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

/**
 * About how many values a JSON text holds, without parsing it: one per comma and per opening bracket
 * outside strings (a member's key and value count once, as they share a comma). Exact enough for a cap.
 */
function countJsonValues(bytes: Uint8Array): number {
  let values = 1;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === COMMA || byte === OPEN_BRACE || byte === OPEN_BRACKET) values++;
  }
  return values;
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
    else if (value.every((item) => item === null || typeof item !== 'object'))
      lines.push(label(value.map(String).join(', ')));
    else value.forEach((item, i) => flatten(item, `${path}[${i}]`, depth + 1, lines));
  } else {
    const keys = Object.keys(value);
    if (keys.length === 0) lines.push(label('{}'));
    for (const key of keys)
      flatten((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key, depth + 1, lines);
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
async function htmlToText(bytes: Buffer): Promise<string> {
  if (countTags(bytes) > MAX_HTML_TAGS)
    throw overBudget('html', `it holds more than ${MAX_HTML_TAGS.toLocaleString('en')} tags`);
  const skip = (selector: string) => ({ selector, format: 'skip' });
  const { convert } = await import('html-to-text'); // each parser is loaded only by the workers that need it
  return convert(utf8(bytes), {
    wordwrap: false,
    limits: { maxInputLength: Number.MAX_SAFE_INTEGER }, // the default silently truncates past 16 MiB
    selectors: [
      ...[
        'script',
        'style',
        'noscript',
        'template',
        'nav',
        'svg',
        'canvas',
        'iframe',
        'object',
        'embed',
        'head',
        'img',
      ].map(skip),
      { selector: 'a', options: { ignoreHref: true } },
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
    ],
  });
}

const PASSWORD_PROTECTED = 'it is password-protected';

/**
 * pdf.js runs its "worker" on the calling thread under Node: here that is the extraction worker.
 * fetch is disabled outright: the PDF comes as bytes, so any network access (fonts, CMaps, a crafted
 * reference) is a bug or an attack and must fail. Pages are inflated one at a time by pdf.js, so the
 * page count and the heap bound what a PDF can unpack to.
 */
async function pdfToText(bytes: Buffer): Promise<string> {
  globalThis.fetch = () => Promise.reject(new Error('network access is disabled while reading a PDF'));
  const { PDFParse } = await import('pdf-parse');
  const parser = new PDFParse({
    data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
    isEvalSupported: false, // never compile code from a PDF's functions
    useSystemFonts: false,
    verbosity: 0, // errors only: warnings about absent standard fonts do not matter for text
  });
  try {
    const info = await parser.getInfo();
    if (info.total > MAX_PDF_PAGES)
      throw overBudget('pdf', `it has more than ${MAX_PDF_PAGES.toLocaleString('en')} pages`);
    const result = await parser.getText({ pageJoiner: '' }); // no "-- 1 of 3 --" page markers
    return result.text;
  } catch (err) {
    if (err instanceof ExtractionError) throw err;
    const detail = (err as Error)?.message || String(err);
    if ((err as Error)?.name === 'PasswordException')
      throw new ExtractionError(
        `Could not read PDF: ${PASSWORD_PROTECTED}`,
        couldNotExtract('pdf', PASSWORD_PROTECTED),
      );
    throw new ExtractionError(`Could not read PDF: ${detail}`, couldNotExtract('pdf'));
  } finally {
    await parser.destroy();
  }
}

const notAPackage = () =>
  new ExtractionError(
    'Could not read DOCX: not a valid ZIP archive',
    couldNotExtract('docx', 'it is not a valid DOCX package'),
  );

/**
 * The package is opened with jszip and every XML part inflated as a stream and measured (bytes and
 * tags) before mammoth, which builds a tree of the whole document, sees it. The sizes a ZIP declares
 * are not trusted: a bomb may state small ones.
 */
async function docxToText(bytes: Buffer): Promise<string> {
  const { default: JSZipClass } = await import('jszip');
  let zip: JSZip;
  try {
    zip = await JSZipClass.loadAsync(bytes);
  } catch {
    throw notAPackage();
  }
  if (!zip.file('word/document.xml')) throw notAPackage();
  const budget = { bytes: 0, tags: 0 };
  for (const entry of Object.values(zip.files)) {
    if (!entry.dir && /\.(xml|rels)$/i.test(entry.name)) await measurePart(entry, budget);
  }
  const { default: mammoth } = await import('mammoth');
  try {
    const result = await mammoth.extractRawText({ buffer: bytes });
    return result.value;
  } catch (err) {
    throw new ExtractionError(
      `Could not read DOCX: ${(err as Error)?.message || String(err)}`,
      couldNotExtract('docx'),
    );
  }
}

/** Inflates one part chunk by chunk, adding to the package's totals; stops at the first limit crossed. */
function measurePart(entry: JSZip.JSZipObject, budget: { bytes: number; tags: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = entry.nodeStream('nodebuffer') as NodeJS.ReadableStream & { destroy?: () => void };
    const stop = (err: Error) => {
      stream.pause();
      stream.removeAllListeners('data');
      reject(err);
    };
    stream.on('data', (chunk: Buffer) => {
      budget.bytes += chunk.length;
      budget.tags += countTags(chunk);
      if (budget.bytes > MAX_UNPACKED_BYTES)
        stop(overBudget('docx', `its content is larger than ${mib(MAX_UNPACKED_BYTES)} once unpacked`));
      else if (budget.tags > MAX_DOCX_TAGS)
        stop(overBudget('docx', `it holds more than ${MAX_DOCX_TAGS.toLocaleString('en')} XML elements`));
    });
    stream.on('end', () => resolve());
    stream.on('error', (err: Error) =>
      reject(
        new ExtractionError(
          `Could not read DOCX: ${err.message}`,
          couldNotExtract('docx', 'it is not a valid DOCX package'),
        ),
      ),
    );
  });
}
