import { splitSpans, splitText, type ChunkOptions } from '../../../src/jobs/ingestion/chunk.js';

/** A small deterministic PRNG, so the "property" texts are the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'alpha',
  'bravo',
  'charlie',
  'delta',
  'echo',
  'foxtrot',
  'golf',
  'hotel',
  'india',
  'juliet',
  'kilo',
  'lima',
  'überweisung',
  '東京',
  '🎉',
  'x',
  'supercalifragilisticexpialidocious',
];

function generatedText(seed: number): string {
  const next = rng(seed);
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]!;
  const paragraphs: string[] = [];
  for (let p = 0, n = 1 + Math.floor(next() * 12); p < n; p++) {
    const sentences: string[] = [];
    for (let s = 0, m = 1 + Math.floor(next() * 10); s < m; s++) {
      const words = Array.from({ length: 1 + Math.floor(next() * 30) }, () => pick(WORDS));
      sentences.push(`${words.join(next() < 0.1 ? '  ' : ' ')}${pick(['.', '!', '?', '.'])}`);
    }
    paragraphs.push(sentences.join(next() < 0.2 ? '\n' : ' '));
  }
  if (next() < 0.3) paragraphs.push('z'.repeat(Math.floor(next() * 900))); // a "word" longer than most chunks
  return paragraphs.join(pick(['\n\n', '\n\n\n', '\n \n']));
}

/** Every non-whitespace character of the text lies inside some chunk. */
function uncovered(text: string, spans: { start: number; end: number }[]): number {
  const covered = new Uint8Array(text.length);
  for (const { start, end } of spans) covered.fill(1, start, end);
  let missing = 0;
  for (let i = 0; i < text.length; i++) if (!covered[i] && /\S/.test(text[i]!)) missing++;
  return missing;
}

describe('splitText', () => {
  const opts: ChunkOptions = { chunkSize: 100, chunkOverlap: 20 };

  it('returns short text whole, trimmed, and nothing for blank text', () => {
    expect(splitText('  Just one line.  ', opts)).toEqual(['Just one line.']);
    expect(splitText('', opts)).toEqual([]);
    expect(splitText(' \n\n \t', opts)).toEqual([]);
  });

  it('cuts between paragraphs when they fit', () => {
    const a = 'First paragraph is about apples and their orchards.';
    const b = 'Second paragraph is about boats and harbours at dusk.';
    const c = 'Third paragraph is about clocks and the time they keep.';
    expect(splitText([a, b, c].join('\n\n'), { chunkSize: 120, chunkOverlap: 0 })).toEqual([`${a}\n\n${b}`, c]);
  });

  it('cuts between sentences inside a long paragraph, never mid-word', () => {
    const sentences = Array.from({ length: 12 }, (_, i) => `Sentence ${i} has a handful of ordinary words.`);
    const chunks = splitText(sentences.join(' '), { chunkSize: 100, chunkOverlap: 0 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(100);
      expect(chunk).toMatch(/^Sentence \d+/);
      expect(chunk.endsWith('.')).toBe(true);
    }
  });

  it('cuts between words when a sentence is longer than a chunk', () => {
    const words = Array.from({ length: 60 }, (_, i) => `w${i}`);
    const chunks = splitText(words.join(' '), { chunkSize: 50, chunkOverlap: 0 });
    expect(chunks.join(' ')).toBe(words.join(' '));
    for (const chunk of chunks) expect(chunk.split(' ').every((w) => /^w\d+$/.test(w))).toBe(true);
  });

  it('cuts inside a word only when the word is longer than a chunk, and never splits a surrogate pair', () => {
    expect(splitText('a'.repeat(250), { chunkSize: 100, chunkOverlap: 0 })).toEqual([
      'a'.repeat(100),
      'a'.repeat(100),
      'a'.repeat(50),
    ]);
    const emoji = '😀'.repeat(60); // 120 UTF-16 units
    for (const chunk of splitText(emoji, { chunkSize: 25, chunkOverlap: 5 })) {
      expect(chunk.length).toBeLessThanOrEqual(25);
      expect(chunk).toMatch(/^(?:😀)+$/u);
    }
  });

  it('overlaps consecutive chunks by about chunkOverlap, starting at a word', () => {
    const words = Array.from({ length: 400 }, (_, i) => `word${i}`);
    const text = words.join(' ');
    const spans = splitSpans(text, { chunkSize: 200, chunkOverlap: 50 });
    expect(spans.length).toBeGreaterThan(5);
    for (let i = 1; i < spans.length; i++) {
      const overlap = spans[i - 1]!.end - spans[i]!.start;
      expect(overlap).toBeGreaterThan(30);
      expect(overlap).toBeLessThanOrEqual(50);
      expect(spans[i]!.text).toMatch(/^word\d+ /);
    }
  });

  it('prefers a sentence start for the overlap', () => {
    const text = Array.from({ length: 30 }, (_, i) => `Fact ${i} is short.`).join(' ');
    const spans = splitSpans(text, { chunkSize: 120, chunkOverlap: 40 });
    for (const span of spans) expect(span.text).toMatch(/^Fact \d+ is short\./);
    for (let i = 1; i < spans.length; i++) expect(spans[i - 1]!.end - spans[i]!.start).toBeGreaterThanOrEqual(20);
  });

  it('refuses impossible settings', () => {
    expect(() => splitText('x', { chunkSize: 0, chunkOverlap: 0 })).toThrow(RangeError);
    expect(() => splitText('x', { chunkSize: 100, chunkOverlap: 100 })).toThrow(RangeError);
    expect(() => splitText('x', { chunkSize: 100, chunkOverlap: -1 })).toThrow(RangeError);
    expect(() => splitText('x', { chunkSize: 10.5, chunkOverlap: 0 })).toThrow(RangeError);
  });

  it('handles a large text of hundreds of thousands of words', () => {
    const text = 'ab '.repeat(400_000);
    const chunks = splitText(text, { chunkSize: 1000, chunkOverlap: 100 });
    expect(chunks.length).toBeGreaterThan(1000);
    expect(chunks.every((c) => c.length <= 1000)).toBe(true);
  });

  describe.each([
    { chunkSize: 100, chunkOverlap: 0 },
    { chunkSize: 100, chunkOverlap: 20 },
    { chunkSize: 250, chunkOverlap: 249 },
    { chunkSize: 1000, chunkOverlap: 200 },
    { chunkSize: 37, chunkOverlap: 11 },
  ])('properties with %p', (options) => {
    it.each(Array.from({ length: 15 }, (_, i) => i + 1))('holds for generated text #%i', (seed) => {
      const text = generatedText(seed * 7919 + options.chunkSize);
      const spans = splitSpans(text, options);
      for (const span of spans) {
        expect(span.text.length).toBeGreaterThan(0);
        expect(span.text.length).toBeLessThanOrEqual(options.chunkSize);
        expect(span.text).toBe(text.slice(span.start, span.end));
        expect(span.text).toBe(span.text.trim());
      }
      for (let i = 1; i < spans.length; i++) {
        expect(spans[i]!.start).toBeGreaterThan(spans[i - 1]!.start); // progress, in order
        expect(spans[i - 1]!.end - spans[i]!.start).toBeLessThanOrEqual(options.chunkOverlap); // overlap never exceeds the setting
      }
      expect(uncovered(text, spans)).toBe(0);
      expect(splitSpans(text, options)).toEqual(spans); // deterministic
      expect(splitText(text, options)).toEqual(spans.map((s) => s.text));
    });
  });
});
