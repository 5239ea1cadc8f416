import type { Tiktoken, TiktokenBPE } from 'js-tiktoken/lite';

/**
 * Token counts with OpenAI's cl100k_base encoding: exact for the GPT-3.5/4 family and a close
 * estimate for other models, which is all a prompt budget needs.
 */
let encoding: Tiktoken | null = null;

/** Loads the encoding's ranks (about a second, once per process); call at start-up to spare the first chat. */
export function loadTokenizer(): Tiktoken {
  if (!encoding) {
    // Required here, and only this encoding's ranks: js-tiktoken's main module carries every encoding
    // (megabytes of tables parsed on import), which would hold up the server's start.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { Tiktoken: Encoder } = require('js-tiktoken/lite') as typeof import('js-tiktoken/lite');
    // Its CommonJS build exports the ranks themselves, its ES build as `default`.
    const ranksModule = require('js-tiktoken/ranks/cl100k_base') as TiktokenBPE | { default: TiktokenBPE };
    const ranks = 'default' in ranksModule ? ranksModule.default : ranksModule;
    /* eslint-enable @typescript-eslint/no-require-imports */
    encoding = new Encoder(ranks);
  }
  return encoding;
}

// Pinned documents and popular chunks come back on every chat; encoding 100 kB of text costs ~70 ms, a Map
// lookup by the same text a hash of it. Bounded by total characters so large documents cannot pile up.
const MEMO_MIN_CHARS = 256;
const MEMO_MAX_CHARS = 8_000_000;
const memo = new Map<string, number>();
let memoChars = 0;

function remember(text: string, count: number): void {
  memo.set(text, count);
  memoChars += text.length;
  for (const oldest of memo.keys()) {
    if (memoChars <= MEMO_MAX_CHARS) break;
    memo.delete(oldest);
    memoChars -= oldest.length;
  }
}

export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  if (text.length < MEMO_MIN_CHARS) return loadTokenizer().encode(text).length;
  const known = memo.get(text);
  if (known !== undefined) {
    memo.delete(text); // most recently used last
    memo.set(text, known);
    return known;
  }
  const count = loadTokenizer().encode(text).length;
  remember(text, count);
  return count;
}

/** The text cut to at most maxTokens tokens (whole text when it fits), and whether it was cut. */
export function truncateToTokens(
  text: string,
  maxTokens: number,
): { text: string; tokens: number; truncated: boolean } {
  const total = countTokens(text);
  if (total <= maxTokens) return { text, tokens: total, truncated: false };
  if (maxTokens <= 0) return { text: '', tokens: 0, truncated: true };
  const tokens = loadTokenizer().encode(text).slice(0, maxTokens);
  // A cut inside a multi-byte character decodes to a replacement character: drop it.
  const cut = loadTokenizer()
    .decode(tokens)
    .replace(/\uFFFD+$/, '');
  return { text: cut, tokens: tokens.length, truncated: true };
}
