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
  return texts.map((text, chunkIndex) => ({ id: `${documentId}:${chunkIndex}`, documentId, filename, chunkIndex, text }));
}

/** A workspace with three documents; one chunk of doc 2 holds the phrase. */
function seeded(): RetrievalIndex {
  const index = new RetrievalIndex();
  index.add(1, chunksOf(10, 'report.pdf', FILLER));
  index.add(1, chunksOf(11, 'notes.docx', [...FILLER.slice(2), 'The lighthouse keeper logs every passing freighter at midnight.', ...FILLER.slice(0, 2)]));
  index.add(1, chunksOf(12, 'faq.md', FILLER.map((t) => t.replace('The', 'A'))));
  return index;
}

const ALL = { topN: 100, threshold: 0 };

describe('RetrievalIndex', () => {
  it('ranks the chunk holding the phrase first, with its metadata', () => {
    const [best, ...rest] = seeded().search(1, 'Who logs the passing freighters at midnight?', ALL);
    expect(best).toEqual({
      chunkId: '11:4', documentId: 11, filename: 'notes.docx', chunkIndex: 4,
      text: 'The lighthouse keeper logs every passing freighter at midnight.', score: expect.any(Number),
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
    index.add(1, chunksOf(1, 'a.txt', ['zebra migration across the savanna', 'zebra stripes', 'savanna grass', 'unrelated words here']));
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
    index.add(1, chunksOf(1, 'a.txt', ['Send your RÉSUMÉ to the office', 'Refund policies changed', 'nothing relevant']));
    expect(index.search(1, 'resume', ALL).map((h) => h.chunkIndex)).toEqual([0]);
    expect(index.search(1, 'refund policy', ALL).map((h) => h.chunkIndex)).toEqual([1]);
  });

  it('sets aside the commonest query terms of a large workspace, keeping the rarest', () => {
    const index = new RetrievalIndex();
    const filler = Array.from({ length: 6_000 }, (_, i) => `ubiquitous filler ${i}`);
    index.add(1, chunksOf(1, 'big.txt', [...filler, 'ubiquitous narwhal sighting']));
    index.add(1, chunksOf(2, 'small.txt', ['narwhal tusks are teeth']));
    // 'ubiquitous' is in 6,001 chunks: over the postings budget, so only 'narwhal' is searched.
    const hits = index.search(1, 'ubiquitous narwhal', ALL);
    expect(hits.map((h) => h.text).sort()).toEqual(['narwhal tusks are teeth', 'ubiquitous narwhal sighting']);
    // Alone, even the commonest term is searched.
    expect(index.search(1, 'ubiquitous', { topN: 3, threshold: 0 })).toHaveLength(3);
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
