export interface ChunkOptions {
  /** Maximum characters (UTF-16 code units, like String#length) per chunk. */
  chunkSize: number;
  /** Characters that consecutive chunks should share, so a sentence cut at a border is still whole in one of them. */
  chunkOverlap: number;
}

/** A chunk and where it sits in the text: text === source.slice(start, end). */
export interface ChunkSpan {
  text: string;
  start: number;
  end: number;
}

/** Splits text into chunks; see splitSpans. */
export function splitText(text: string, options: ChunkOptions): string[] {
  return splitSpans(text, options).map((span) => span.text);
}

/**
 * Cuts the text into chunks of at most chunkSize characters, preferring to
 * cut between paragraphs, then lines, then sentences, then words (and only
 * mid-word for a word longer than a chunk). Consecutive chunks overlap by up
 * to chunkOverlap characters, the overlap itself starting at a sentence or
 * word boundary. Chunks are trimmed, never empty, and cover every
 * non-whitespace character. Same input, same output.
 */
export function splitSpans(text: string, { chunkSize, chunkOverlap }: ChunkOptions): ChunkSpan[] {
  if (!Number.isInteger(chunkSize) || chunkSize < 1)
    throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  if (!Number.isInteger(chunkOverlap) || chunkOverlap < 0 || chunkOverlap >= chunkSize) {
    throw new RangeError(`chunkOverlap must be an integer from 0 to chunkSize - 1, got ${chunkOverlap}`);
  }
  const pieces = splitPieces(text, 0, text.length, 0, chunkSize);
  const spans: ChunkSpan[] = [];
  let start = 0;
  let next = 0; // index of the first piece not yet in any chunk
  while (next < pieces.length) {
    // Greedy: take pieces while the chunk stays within chunkSize (the first always fits, see overlapStart).
    let end = pieces[next]!.end;
    next++;
    while (next < pieces.length && pieces[next]!.end - start <= chunkSize) end = pieces[next++]!.end;
    const span = trimmed(text, start, end);
    if (span) spans.push(span);
    if (next < pieces.length) start = overlapStart(text, start, end, pieces[next]!.end - chunkSize, chunkOverlap);
  }
  return spans;
}

interface Piece {
  start: number;
  end: number;
}

/** Boundaries from strongest to weakest; a match ends a piece (the separator stays with the text before it). */
const SEPARATORS = [
  /\n[^\S\n]*\n\s*/g, // paragraph: a blank line
  /\n/g, // line
  /[.!?…]+["'’”)\]]*\s+/g, // sentence end
  /\s+/g, // word
];

/** Contiguous pieces covering [from, to), each at most max long, cut at the strongest boundary available. */
function splitPieces(text: string, from: number, to: number, level: number, max: number): Piece[] {
  if (to - from <= max) return [{ start: from, end: to }];
  if (level >= SEPARATORS.length) return hardCut(text, from, to, max);
  // Matching on the slice keeps each scan within [from, to): on the whole text a regex would run on to its end.
  const segment = text.slice(from, to);
  const separator = new RegExp(SEPARATORS[level]!.source, 'g');
  const pieces: Piece[] = [];
  let start = from;
  for (let match = separator.exec(segment); match; match = separator.exec(segment)) {
    const cut = from + match.index + match[0].length;
    if (cut > start && cut < to) {
      for (const piece of splitPieces(text, start, cut, level + 1, max)) pieces.push(piece); // no spread: there may be millions
      start = cut;
    }
  }
  for (const piece of splitPieces(text, start, to, level + 1, max)) pieces.push(piece);
  return pieces;
}

/** Last resort, for a "word" longer than a chunk: fixed cuts that never split a surrogate pair. */
function hardCut(text: string, from: number, to: number, max: number): Piece[] {
  const pieces: Piece[] = [];
  for (let start = from; start < to;) {
    let end = Math.min(start + max, to);
    if (end < to && end - start > 1 && isLowSurrogate(text.charCodeAt(end))) end--;
    pieces.push({ start, end });
    start = end;
  }
  return pieces;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

const SENTENCE_START = /[.!?…]+["'’”)\]]*\s+/g;
const WORD_START = /\s+/g;

/**
 * Where the next chunk begins: about `overlap` characters before the end of
 * the previous one, moved forward to the start of a sentence (when that keeps
 * at least half the overlap) or of a word; never before `earliest`, so the
 * next piece still fits, and always after the previous start, so the split
 * makes progress.
 */
function overlapStart(text: string, prevStart: number, prevEnd: number, earliest: number, overlap: number): number {
  const from = Math.max(prevEnd - overlap, earliest, prevStart + 1);
  if (from >= prevEnd) return prevEnd;
  const sentence = boundaryAfter(text, SENTENCE_START, from, prevEnd - Math.floor(overlap / 2));
  if (sentence !== null) return sentence;
  const word = boundaryAfter(text, WORD_START, from, prevEnd);
  if (word !== null) return word;
  return isLowSurrogate(text.charCodeAt(from)) ? from + 1 : from; // from < prevEnd, and a pair never straddles a piece end
}

/** The first position in [from, limit) that directly follows a match of `pattern`; from is at least 1. */
function boundaryAfter(text: string, pattern: RegExp, from: number, limit: number): number | null {
  // Look from one character early, so a separator ending exactly at `from` counts.
  const window = text.slice(from - 1, limit);
  const re = new RegExp(pattern.source, 'g');
  for (let match = re.exec(window); match; match = re.exec(window)) {
    const after = from - 1 + match.index + match[0].length;
    if (after >= from && after < limit) return after;
  }
  return null;
}

function trimmed(text: string, start: number, end: number): ChunkSpan | null {
  while (start < end && /\s/.test(text[start]!)) start++;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return start < end ? { text: text.slice(start, end), start, end } : null;
}
