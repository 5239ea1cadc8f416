import { type IndexedChunk, processTerm, queryTerms, RetrievalIndex } from '../../../src/ai/retrieval/bm25-index.js';

const FILLER = [
  'The quarterly report covers revenue, costs and the outlook for the coming year.',
  'Our team met on Tuesday to review the roadmap and agree on priorities.',
  'Customers asked for better search, faster exports and clearer invoices.',
  'The office moves to the new building in March; parking stays the same.',
  'Security training is mandatory for every employee before the end of the month.',
  'The budget for travel was reduced, while the budget for tooling grew slightly.',
];

function chunksOf(documentId: number, filename: string, texts: string[]): IndexedChunk[] {
  return texts.map((text, chunkIndex) => ({
    id: `${documentId}:${chunkIndex}`,
    documentId,
    filename,
    chunkIndex,
    text,
  }));
}

/** A workspace with three documents; one chunk of doc 2 holds the phrase. */
function seeded(): RetrievalIndex {
  const index = new RetrievalIndex();
  index.add(1, chunksOf(10, 'report.pdf', FILLER));
  index.add(
    1,
    chunksOf(11, 'notes.docx', [
      ...FILLER.slice(2),
      'The lighthouse keeper logs every passing freighter at midnight.',
      ...FILLER.slice(0, 2),
    ]),
  );
  index.add(
    1,
    chunksOf(
      12,
      'faq.md',
      FILLER.map((t) => t.replace('The', 'A')),
    ),
  );
  return index;
}

const ALL = { topN: 100, threshold: 0 };

describe('RetrievalIndex', () => {
  it('ranks the chunk holding the phrase first, with its metadata', () => {
    const [best, ...rest] = seeded().search(1, 'Who logs the passing freighters at midnight?', ALL);
    expect(best).toEqual({
      chunkId: '11:4',
      documentId: 11,
      filename: 'notes.docx',
      chunkIndex: 4,
      text: 'The lighthouse keeper logs every passing freighter at midnight.',
      score: expect.any(Number),
    });
    for (const hit of rest) expect(hit.score).toBeLessThan(best!.score);
  });

  it('scores between 0 and 1, best first', () => {
    const hits = seeded().search(1, 'budget for travel and tooling', ALL);
    expect(hits.length).toBeGreaterThan(0);
    for (const hit of hits) {
      expect(hit.score).toBeGreaterThan(0);
      expect(hit.score).toBeLessThanOrEqual(1);
    }
    const scores = hits.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('gives a chunk matching the whole query a higher score than one matching part of it', () => {
    const index = new RetrievalIndex();
    index.add(
      1,
      chunksOf(1, 'a.txt', [
        'zebra migration across the savanna',
        'zebra stripes',
        'savanna grass',
        'unrelated words here',
      ]),
    );
    const hits = index.search(1, 'zebra migration savanna', ALL);
    expect(hits[0]!.chunkIndex).toBe(0);
    expect(hits[0]!.score).toBeGreaterThan(0.4);
    expect(hits[1]!.score).toBeLessThan(hits[0]!.score / 1.5);
  });

  it('scores low when the query is mostly about things the documents never mention', () => {
    const index = seeded();
    const [hit] = index.search(1, 'quantum chromodynamics gluon budget', ALL);
    expect(hit!.text).toMatch(/budget/);
    expect(hit!.score).toBeLessThan(0.2);
  });

  it('applies the threshold to the normalised score', () => {
    const index = seeded();
    const all = index.search(1, 'lighthouse budget', ALL);
    expect(all.length).toBeGreaterThan(1);
    const cut = (all[0]!.score + all[all.length - 1]!.score) / 2;
    const kept = index.search(1, 'lighthouse budget', { topN: 100, threshold: cut });
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(all.length);
    expect(kept.every((h) => h.score >= cut)).toBe(true);
    expect(index.search(1, 'lighthouse budget', { topN: 100, threshold: 1.01 })).toEqual([]);
  });

  it('caps the results at topN', () => {
    const index = seeded();
    expect(index.search(1, 'budget', { topN: 2, threshold: 0 })).toHaveLength(2);
    expect(index.search(1, 'budget', { topN: 0, threshold: 0 })).toEqual([]);
  });

  it('removes a document and only that document', () => {
    const index = seeded();
    expect(index.size(1)).toBe(FILLER.length * 3 + 1);
    index.removeDocument(1, 11);
    expect(index.size(1)).toBe(FILLER.length * 2);
    expect(index.search(1, 'lighthouse freighter', ALL)).toEqual([]);
    const hits = index.search(1, 'budget', ALL);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.documentId !== 11)).toBe(true);
    index.removeDocument(1, 999); // unknown: nothing happens
    index.removeDocument(7, 10);
    expect(index.size(1)).toBe(FILLER.length * 2);
  });

  it('can index a document again after removing it', () => {
    const index = seeded();
    index.removeDocument(1, 11);
    index.add(1, chunksOf(11, 'notes-v2.docx', ['The lighthouse was repainted red.']));
    const [hit] = index.search(1, 'lighthouse', ALL);
    expect(hit).toMatchObject({ documentId: 11, filename: 'notes-v2.docx', text: 'The lighthouse was repainted red.' });
  });

  it('replaces a chunk added twice instead of duplicating it', () => {
    const index = new RetrievalIndex();
    index.add(1, chunksOf(1, 'a.txt', ['old walrus text']));
    index.add(1, chunksOf(1, 'a.txt', ['new walrus text']));
    index.add(1, [...chunksOf(2, 'b.txt', ['first pelican']), ...chunksOf(2, 'b.txt', ['second pelican'])]);
    expect(index.size(1)).toBe(2);
    expect(index.search(1, 'walrus', ALL).map((h) => h.text)).toEqual(['new walrus text']);
    expect(index.search(1, 'pelican', ALL).map((h) => h.text)).toEqual(['first pelican']);
  });

  it('keeps workspaces apart', () => {
    const index = seeded();
    index.add(2, chunksOf(20, 'other.txt', ['A walrus basks on the lighthouse rocks.']));
    expect(index.search(2, 'lighthouse', ALL).map((h) => h.documentId)).toEqual([20]);
    expect(index.search(1, 'walrus', ALL)).toEqual([]);
    expect(index.search(3, 'lighthouse', ALL)).toEqual([]);
    index.clearWorkspace(1);
    expect(index.size(1)).toBe(0);
    expect(index.search(1, 'lighthouse', ALL)).toEqual([]);
    expect(index.size(2)).toBe(1);
  });

  it('matches whole words only: no prefix or fuzzy matches', () => {
    const index = new RetrievalIndex();
    index.add(1, chunksOf(1, 'a.txt', ['catalogue of items', 'a cat sleeps', 'the bat flies']));
    expect(index.search(1, 'cat', ALL).map((h) => h.text)).toEqual(['a cat sleeps']);
  });

  it('finds words regardless of case, accents and plural', () => {
    const index = new RetrievalIndex();
    index.add(
      1,
      chunksOf(1, 'a.txt', ['Send your RÉSUMÉ to the office', 'Refund policies changed', 'nothing relevant']),
    );
    expect(index.search(1, 'resume', ALL).map((h) => h.chunkIndex)).toEqual([0]);
    expect(index.search(1, 'refund policy', ALL).map((h) => h.chunkIndex)).toEqual([1]);
  });

  it('scores the commoner query terms for the chunks holding the rarest ones only, as plain BM25+ would', () => {
    const budgeted = new RetrievalIndex({ candidates: 2, scored: 100 });
    const unbudgeted = new RetrievalIndex({ candidates: Infinity, scored: Infinity });
    const texts = [
      'narwhal tusk ocean',
      'narwhal tusk sighting',
      ...Array.from({ length: 8 }, (_, i) => `ocean tide ${i}`),
      'ocean ocean ocean',
    ];
    for (const index of [budgeted, unbudgeted]) index.add(1, chunksOf(1, 'a.txt', texts));
    const scores = (hits: { chunkIndex: number; score: number }[]) =>
      hits.map((h) => [h.chunkIndex, Number(h.score.toFixed(12))]);
    // 'narwhal' (2 chunks, within the candidates' budget) chooses; 'ocean' (10 chunks) only adds to their scores.
    const hits = budgeted.search(1, 'Narwhals in the ocean?', ALL);
    const full = unbudgeted.search(1, 'Narwhals in the ocean?', ALL);
    expect(full.length).toBe(11);
    expect(scores(hits)).toEqual(scores(full.filter((h) => h.chunkIndex <= 1)));
    expect(hits.map((h) => h.chunkIndex)).toEqual([0, 1]); // the same length: 'ocean' makes the difference
    // With a threshold: the same cut as the unbudgeted ranking's, among the candidates.
    const cut = (hits[0]!.score + hits[1]!.score) / 2;
    expect(scores(budgeted.search(1, 'narwhal ocean', { topN: 10, threshold: cut }))).toEqual(scores(hits.slice(0, 1)));
  });

  it('sets aside the commonest query terms beyond the scored budget, keeping the rarest', () => {
    const index = new RetrievalIndex({ candidates: 2, scored: 5 });
    index.add(
      1,
      chunksOf(1, 'a.txt', [
        'narwhal ocean',
        'narwhal tusk',
        ...Array.from({ length: 8 }, (_, i) => `ocean tide ${i}`),
      ]),
    );
    // 'ocean' is in 9 chunks: 2 + 9 postings are over the budget, so it neither chooses nor scores.
    expect(index.search(1, 'narwhal ocean', ALL)).toEqual(index.search(1, 'narwhal', ALL));
    expect(index.search(1, 'narwhal ocean', ALL)).toHaveLength(2);
    // Alone, even the commonest term is searched.
    expect(index.search(1, 'ocean', ALL)).toHaveLength(9);
  });

  it('answers nothing for a query of stop words or punctuation only', () => {
    const index = seeded();
    expect(index.search(1, 'the of and to', ALL)).toEqual([]);
    expect(index.search(1, '?!', ALL)).toEqual([]);
    expect(index.search(1, '', ALL)).toEqual([]);
  });
});

describe('tokenisation', () => {
  it('processes terms: lower case, accents folded, stop words and single letters dropped, plurals folded', () => {
    expect(processTerm('Hello')).toBe('hello');
    expect(processTerm('Über')).toBe('uber');
    expect(processTerm('the')).toBeNull();
    expect(processTerm('x')).toBeNull();
    expect(processTerm('7')).toBe('7');
    expect(processTerm('policies')).toBe('policy');
    expect(processTerm('periods')).toBe('period');
    expect(processTerm('class')).toBe('class');
    expect(processTerm('status')).toBe('status');
    expect(processTerm('a'.repeat(65))).toBeNull();
  });

  it('splits queries on anything that is not a letter or digit, and dedupes', () => {
    expect(queryTerms("What's the e-mail of O'Brien? O'Brien!")).toEqual(['mail', 'brien']);
    expect(queryTerms('C++ 2024-05-01')).toEqual(['2024', '05', '01']);
  });
});
