import { isUtf8 } from 'node:buffer';

/** The document formats an upload may hold. */
export type DocumentFormat = 'txt' | 'md' | 'csv' | 'json' | 'html' | 'pdf' | 'docx';

const BY_EXTENSION: Record<string, DocumentFormat> = {
  txt: 'txt',
  text: 'txt',
  md: 'md',
  markdown: 'md',
  csv: 'csv',
  json: 'json',
  html: 'html',
  htm: 'html',
  pdf: 'pdf',
  docx: 'docx',
};

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const PDF_MAGIC = Buffer.from('%PDF-', 'latin1');
const ZIP_LOCAL_HEADER = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const LEADING_HTML = /^\s*<(?:!doctype\s+html|html)[\s>]/i;

/**
 * The format of an upload, judged by its name and its bytes together: the
 * extension says what it claims to be, the content must agree. null means
 * "refuse" (unknown type, or bytes that are not what the name says).
 */
export function detectFormat(filename: string, bytes: Buffer): DocumentFormat | null {
  const ext = extensionOf(filename);
  // No extension at all: only formats with an unambiguous signature are recognised.
  if (ext === '')
    return isPdf(bytes) ? 'pdf' : isDocx(bytes) ? 'docx' : isText(bytes) && looksLikeHtml(bytes) ? 'html' : null;
  const claimed = BY_EXTENSION[ext];
  switch (claimed) {
    case undefined:
      return null;
    case 'pdf':
      return isPdf(bytes) ? 'pdf' : null;
    case 'docx':
      return isDocx(bytes) ? 'docx' : null;
    case 'json':
      return isText(bytes) && parsesAsJson(bytes) ? 'json' : null;
    case 'html':
      return isText(bytes) ? 'html' : null;
    case 'csv':
      return isText(bytes) ? 'csv' : null;
    case 'txt':
    case 'md':
      if (!isText(bytes)) return null;
      // A page saved as .txt/.md is still HTML: extracting it as HTML keeps scripts and styles out.
      return looksLikeHtml(bytes) ? 'html' : claimed;
  }
}

/** The lower-cased extension of the last path segment, '' when there is none. */
export function extensionOf(filename: string): string {
  const base = lastSegment(filename);
  const dot = base.lastIndexOf('.');
  return dot < 0 ? '' : base.slice(dot + 1).toLowerCase(); // ".pdf" is a nameless PDF, not a hidden file
}

export function isPdf(bytes: Buffer): boolean {
  return bytes.length >= PDF_MAGIC.length && bytes.subarray(0, PDF_MAGIC.length).equals(PDF_MAGIC);
}

/** A ZIP whose central directory lists word/document.xml (the main part of a WordprocessingML package). */
export function isDocx(bytes: Buffer): boolean {
  if (bytes.length < 4 || !bytes.subarray(0, 4).equals(ZIP_LOCAL_HEADER)) return false;
  return zipEntries(bytes)?.some((entry) => entry.name === 'word/document.xml') ?? false;
}

/** Valid UTF-8 (after an optional BOM) without NUL bytes: binary renamed to .txt fails here. */
export function isText(bytes: Buffer): boolean {
  const body = stripBom(bytes);
  return !body.includes(0) && isUtf8(body);
}

export function stripBom(bytes: Buffer): Buffer {
  return bytes.subarray(0, 3).equals(UTF8_BOM) ? bytes.subarray(3) : bytes;
}

function looksLikeHtml(bytes: Buffer): boolean {
  return LEADING_HTML.test(stripBom(bytes).subarray(0, 512).toString('utf8'));
}

function parsesAsJson(bytes: Buffer): boolean {
  try {
    JSON.parse(stripBom(bytes).toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

export interface ZipEntry {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const EOCD_MIN_SIZE = 22;
const MAX_ZIP_COMMENT = 0xffff;

/**
 * Lists a ZIP's entries from its central directory, or null when that
 * directory cannot be found or is inconsistent. Reads only the directory,
 * so it costs nothing like unpacking; ZIP64 archives are not needed for
 * uploads of this size and read as null.
 */
export function zipEntries(bytes: Buffer): ZipEntry[] | null {
  const eocd = findEndOfCentralDirectory(bytes);
  if (eocd < 0) return null;
  const count = bytes.readUInt16LE(eocd + 10);
  const size = bytes.readUInt32LE(eocd + 12);
  const start = bytes.readUInt32LE(eocd + 16);
  if (start + size > eocd) return null;
  const entries: ZipEntry[] = [];
  let at = start;
  for (let i = 0; i < count; i++) {
    if (at + 46 > eocd || bytes.readUInt32LE(at) !== CENTRAL_HEADER_SIGNATURE) return null;
    const nameLength = bytes.readUInt16LE(at + 28);
    const next = at + 46 + nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
    if (next > eocd) return null;
    entries.push({
      name: bytes.toString('utf8', at + 46, at + 46 + nameLength),
      compressedSize: bytes.readUInt32LE(at + 20),
      uncompressedSize: bytes.readUInt32LE(at + 24),
    });
    at = next;
  }
  return entries;
}

/** The end-of-central-directory record sits in the last 22 bytes plus an optional comment; search backwards. */
function findEndOfCentralDirectory(bytes: Buffer): number {
  const lowest = Math.max(0, bytes.length - EOCD_MIN_SIZE - MAX_ZIP_COMMENT);
  for (let at = bytes.length - EOCD_MIN_SIZE; at >= lowest; at--) {
    if (bytes.readUInt32LE(at) === EOCD_SIGNATURE) return at;
  }
  return -1;
}

const MAX_NAME_BYTES = 200; // well under the 255-byte limit of common file systems
const MAX_EXTENSION_LENGTH = 10;
const WINDOWS_RESERVED = /^(?:con|prn|aux|nul|com\d|lpt\d)$/i;

/**
 * A file name safe to store and to show: no directories, no control or
 * bidi characters, only letters, digits, spaces and `._-()`, the extension
 * kept, at most 200 UTF-8 bytes, never empty, never `.` or `..`.
 */
export function sanitizeFilename(name: string): string {
  const cleaned = lastSegment(name.normalize('NFC'))
    .replace(/[^\p{L}\p{M}\p{N} ._\-()]+/gu, '_')
    .replace(/\s+/g, ' ')
    .replace(/_{2,}/g, '_')
    .replace(/\.{2,}/g, '.');
  const dot = cleaned.lastIndexOf('.');
  const rawExt = dot >= 0 ? cleaned.slice(dot + 1) : '';
  const ext = /^[\p{L}\p{N}]{1,10}$/u.test(rawExt) ? rawExt.slice(0, MAX_EXTENSION_LENGTH) : '';
  let base = (ext ? cleaned.slice(0, dot) : cleaned)
    // Leading dots would hide the file, a leading dash reads as an option; trailing dots and spaces vanish on Windows.
    .replace(/^[\s._-]+/, '')
    .replace(/[\s.]+$/, '');
  if (WINDOWS_RESERVED.test(base)) base = `_${base}`;
  const suffix = ext ? `.${ext}` : '';
  base = truncateToBytes(base, MAX_NAME_BYTES - Buffer.byteLength(suffix)).replace(/[\s.]+$/, '');
  return `${base || 'file'}${suffix}`;
}

function lastSegment(name: string): string {
  const parts = name.split(/[\\/]/);
  return parts[parts.length - 1] ?? '';
}

/** Cuts by code points, so a multi-byte character is never split. */
function truncateToBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch);
    if (used + size > maxBytes) break;
    out += ch;
    used += size;
  }
  return out;
}
