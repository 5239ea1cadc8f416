/** A stored chunk as the index receives it (from the documents read model, or straight from an ingestion job). */
export interface IndexedChunk {
  id: string;
  documentId: number;
  text: string;
  chunkIndex: number;
  filename: string;
}

export interface SearchHit {
  chunkId: string;
  documentId: number;
  filename: string;
  chunkIndex: number;
  text: string;
  /** 0..1, see RetrievalIndex#search. */
  score: number;
}

export interface SearchOptions {
  topN: number;
  /** The workspace's similarity_threshold: hits scoring below it are dropped. */
  threshold: number;
}

// Common English words carry no topic; dropping them keeps posting lists short and scores meaningful.
const STOP_WORDS = new Set(`
a about above after again against all am an and any are as at be because been before being below between both but by
can could did do does doing down during each few for from further had has have having he her here hers herself him
himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other
our ours ourselves out over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which while who whom why will
with would you your yours yourself yourselves s t d ll m re ve don doesn didn isn aren wasn weren won wouldn shouldn
`.split(/\s+/).filter(Boolean));

const MAX_TERM_LENGTH = 64; // longer "words" are base64, hashes or minified code: noise that costs memory
const NON_WORD = /[^\p{L}\p{M}\p{N}]+/u;
const ASCII_NON_WORD = /[^a-z0-9]+/; // the same split for lower-cased ASCII text, several times faster
const NON_ASCII = /[^\x00-\x7f]/;
const LATIN_DIACRITICS = /[\u0300-\u036f]/g; // only these: marks of other scripts (Devanagari vowels...) are parts of letters

/** Accents folded (résumé → resume); the text is already lower-cased. */
function fold(lower: string): string {
  return NON_ASCII.test(lower) ? lower.normalize('NFD').replace(LATIN_DIACRITICS, '').normalize('NFC') : lower;
}

/** A folded token kept as a term, or null: stop words, single letters and over-long tokens go; plurals are folded. */
function keep(token: string): string | null {
  if (token.length === 0 || token.length > MAX_TERM_LENGTH || STOP_WORDS.has(token)) return null;
  if (token.length === 1 && !(token >= '0' && token <= '9')) return null;
  return singular(token);
}

/** Harman's "S" stemmer (policies → policy, periods → period, boxes → boxe); it leaves -ss, -us and -is words alone. */
function singular(t: string): string {
  if (t.length < 4 || t.charCodeAt(t.length - 1) !== 115 /* s */ || !/^[a-z]+$/.test(t)) return t;
  if (t.endsWith('ies') && !t.endsWith('eies') && !t.endsWith('aies')) return `${t.slice(0, -3)}y`;
  if (t.endsWith('es') && !t.endsWith('aes') && !t.endsWith('ees') && !t.endsWith('oes')) return t.slice(0, -1);
  if (!t.endsWith('us') && !t.endsWith('ss') && !t.endsWith('is')) return t.slice(0, -1);
  return t;
}

/**
 * One word as the index sees it: lower-cased, accents folded, English
 * plural folded; null for stop words and single letters. Nothing more
 * aggressive (no stemming beyond plurals): precision first.
 */
export function processTerm(term: string): string | null {
  return keep(fold(term.toLowerCase()));
}

/** The terms of a text, in order and with repeats (term frequencies count). Lower-cases and folds once per text, not per word. */
export function analyze(text: string): string[] {
  const folded = fold(text.toLowerCase());
  const terms: string[] = [];
  for (const token of folded.split(NON_ASCII.test(folded) ? NON_WORD : ASCII_NON_WORD)) {
    const term = keep(token);
    if (term) terms.push(term);
  }
  return terms;
}

/** The distinct terms of a query, processed exactly as indexed text is. */
export function queryTerms(query: string): string[] {
  return [...new Set(analyze(query))];
}

// BM25+ (Lv & Zhai) with the parameters minisearch uses by default; the score normalisation depends on them.
const BM25 = { k: 1.2, b: 0.7, d: 0.5 };
const MAX_TERM_WEIGHT = BM25.d + BM25.k + 1; // the BM25+ term-frequency factor as term frequency grows without bound

/**
 * How many postings (chunk entries of the query's terms) one search may walk. A posting costs a
 * few tens of nanoseconds here, but a query made of words found in a quarter of a 50,000-chunk
 * workspace would still walk tens of thousands of them for little gain in ranking: the commonest
 * query terms are set aside instead (see search).
 */
const POSTINGS_BUDGET = 5_000;

const idf = (total: number, df: number) => Math.log(1 + (total - df + 0.5) / (df + 0.5));

/** Where a term occurs: chunk slots in increasing order, with the term's frequency in each. */
interface Postings {
  slots: number[];
  tfs: number[];
  /** Live entries (document frequency); `slots` may still hold removed chunks until the next compaction. */
  df: number;
}

interface Workspace {
  postings: Map<string, Postings>;
  /** Chunk by slot; undefined once removed. Slots are handed out in increasing order. */
  chunks: (IndexedChunk | undefined)[];
  /** Distinct terms per slot: the length BM25 normalises by (as minisearch counts a field's length). */
  lengths: number[];
  slotOf: Map<string, number>;
  byDocument: Map<number, Set<string>>;
  totalLength: number;
  /** Removed slots still present in postings. */
  dead: number;
}

/**
 * In-memory BM25+ retrieval over chunks: one inverted index per workspace, term → postings held
 * in plain arrays. Written for this use instead of minisearch, which spent ~0.35 ms of CPU per
 * 1,000-character chunk in `add` (a radix tree of Maps walked per token, one Map of postings per
 * term) and several microseconds per posting in search; here a build is dominated by the text
 * analysis and a search by a tight loop over arrays. Scores are those minisearch computed with
 * the same parameters. Derived data: whoever owns it rebuilds it from the read models after a
 * replay or a restart; nothing here is persisted.
 */
export class RetrievalIndex {
  private readonly workspaces = new Map<number, Workspace>();
  /** Per-search score accumulator, by slot, reused (zeroed again after each search). */
  private scratch = new Float64Array(0);

  /** Adds chunks; a chunk id already present is replaced, so redelivery and rebuilds are harmless. */
  add(workspaceId: number, chunks: readonly IndexedChunk[]): void {
    if (chunks.length === 0) return;
    const ws = this.workspace(workspaceId);
    const seen = new Set<string>();
    for (const chunk of chunks) {
      if (seen.has(chunk.id)) continue; // the same id twice in one call: the first wins
      seen.add(chunk.id);
      if (ws.slotOf.has(chunk.id)) this.forget(ws, chunk.id);
      const slot = ws.chunks.length;
      ws.chunks.push(chunk);
      ws.slotOf.set(chunk.id, slot);
      let ids = ws.byDocument.get(chunk.documentId);
      if (!ids) ws.byDocument.set(chunk.documentId, (ids = new Set()));
      ids.add(chunk.id);
      let distinct = 0;
      for (const term of analyze(chunk.text)) {
        let p = ws.postings.get(term);
        if (!p) ws.postings.set(term, (p = { slots: [], tfs: [], df: 0 }));
        const last = p.slots.length - 1;
        // Slots only grow, so the term was already seen in this chunk exactly when its last posting is this slot.
        if (last >= 0 && p.slots[last] === slot) p.tfs[last]!++;
        else {
          p.slots.push(slot);
          p.tfs.push(1);
          p.df++;
          distinct++;
        }
      }
      ws.lengths.push(distinct);
      ws.totalLength += distinct;
    }
  }

  /** Drops a document's chunks. Their postings are skipped by searches and dropped at the next compaction. */
  removeDocument(workspaceId: number, documentId: number): void {
    const ws = this.workspaces.get(workspaceId);
    const ids = ws?.byDocument.get(documentId);
    if (!ws || !ids) return;
    if (ws.byDocument.size === 1) {
      this.workspaces.delete(workspaceId); // nothing would be left: let the whole index go at once
      return;
    }
    for (const id of [...ids]) this.forget(ws, id);
    if (ws.dead > 1_000 && ws.dead > ws.slotOf.size) this.compact(ws);
  }

  clearWorkspace(workspaceId: number): void {
    this.workspaces.delete(workspaceId);
  }

  /** Number of chunks indexed for the workspace. */
  size(workspaceId: number): number {
    return this.workspaces.get(workspaceId)?.slotOf.size ?? 0;
  }

  /**
   * The topN chunks best matching the query, best first, each scored 0..1.
   *
   * Terms: the query's distinct terms, rarest first, as long as their
   * postings fit POSTINGS_BUDGET (the rarest is always kept). The terms set
   * aside are the workspace's commonest words, whose IDF is low: they would
   * cost the most time and move the ranking the least (the idea of
   * Elasticsearch's old common-terms query). When the query's terms occur in
   * fewer than 5,000 chunks all told (most queries on workspaces of a few
   * thousand chunks), nothing is set aside and the ranking is plain BM25+.
   *
   * Score: raw BM25+ over the kept terms, divided by the most those terms
   * could score: the sum of each term's IDF times the BM25+ term-frequency
   * factor's upper bound (d + k + 1). So a score is the IDF-weighted share of
   * the query a chunk satisfies, saturated by term frequency: every term
   * present once in a chunk of average length gives about 0.55, a chunk
   * holding half of the query's information about half that, one holding
   * only its common words little. Terms that occur nowhere in the workspace
   * count in the bound with the highest IDF, so a query about things the
   * documents never mention scores low. The workspace's similarity_threshold
   * is compared with this normalised score.
   */
  search(workspaceId: number, query: string, { topN, threshold }: SearchOptions): SearchHit[] {
    const ws = this.workspaces.get(workspaceId);
    if (!ws || topN <= 0) return [];
    const total = ws.slotOf.size;
    const byRarity = queryTerms(query)
      .map((term) => ({ term, postings: ws.postings.get(term), df: ws.postings.get(term)?.df ?? 0 }))
      .sort((a, b) => a.df - b.df || (a.term < b.term ? -1 : 1));
    const kept: typeof byRarity = [];
    let walked = 0;
    let bound = 0;
    for (const entry of byRarity) {
      if (kept.length > 0 && walked + entry.df > POSTINGS_BUDGET) break;
      kept.push(entry);
      walked += entry.df;
      bound += idf(total, entry.df) * MAX_TERM_WEIGHT;
    }
    if (kept.every(({ df }) => df === 0)) return [];

    if (this.scratch.length < ws.chunks.length) this.scratch = new Float64Array(Math.max(ws.chunks.length, this.scratch.length * 2));
    const scores = this.scratch;
    const touched: number[] = []; // in order of first match: rarest term first, then slot order
    const { k, b, d } = BM25;
    const avgLength = ws.totalLength / total;
    for (const { postings, df } of kept) {
      if (!postings || df === 0) continue;
      const weight = idf(total, df);
      const { slots, tfs } = postings;
      for (let i = 0; i < slots.length; i++) {
        const slot = slots[i]!;
        if (ws.chunks[slot] === undefined) continue; // removed, not yet compacted
        const tf = tfs[i]!;
        const score = weight * (d + (tf * (k + 1)) / (tf + k * (1 - b + (b * ws.lengths[slot]!) / avgLength)));
        if (scores[slot] === 0) touched.push(slot);
        scores[slot] += score;
      }
    }

    const scored: { slot: number; score: number }[] = [];
    for (const slot of touched) {
      const score = Math.min(1, scores[slot]! / bound);
      scores[slot] = 0;
      if (score >= threshold) scored.push({ slot, score });
    }
    scored.sort((x, y) => y.score - x.score); // stable: ties keep the order of first match

    return scored.slice(0, topN).map(({ slot, score }) => {
      const chunk = ws.chunks[slot]!;
      return { chunkId: chunk.id, documentId: chunk.documentId, filename: chunk.filename, chunkIndex: chunk.chunkIndex, text: chunk.text, score };
    });
  }

  private workspace(workspaceId: number): Workspace {
    let ws = this.workspaces.get(workspaceId);
    if (!ws) {
      ws = { postings: new Map(), chunks: [], lengths: [], slotOf: new Map(), byDocument: new Map(), totalLength: 0, dead: 0 };
      this.workspaces.set(workspaceId, ws);
    }
    return ws;
  }

  /** Takes a chunk out: its slot emptied, its terms' document frequencies lowered (postings stay until compact). */
  private forget(ws: Workspace, chunkId: string): void {
    const slot = ws.slotOf.get(chunkId)!;
    const old = ws.chunks[slot]!;
    ws.chunks[slot] = undefined;
    ws.slotOf.delete(chunkId);
    ws.totalLength -= ws.lengths[slot]!;
    ws.dead++;
    for (const term of new Set(analyze(old.text))) {
      const p = ws.postings.get(term);
      if (p) p.df--;
    }
    const ids = ws.byDocument.get(old.documentId);
    ids?.delete(chunkId);
    if (ids?.size === 0) ws.byDocument.delete(old.documentId);
  }

  /** Drops removed chunks' postings and renumbers the slots densely (keeping their order). */
  private compact(ws: Workspace): void {
    const renumbered = new Int32Array(ws.chunks.length).fill(-1);
    const chunks: IndexedChunk[] = [];
    const lengths: number[] = [];
    ws.chunks.forEach((chunk, slot) => {
      if (chunk === undefined) return;
      renumbered[slot] = chunks.length;
      ws.slotOf.set(chunk.id, chunks.length);
      chunks.push(chunk);
      lengths.push(ws.lengths[slot]!);
    });
    for (const [term, p] of ws.postings) {
      if (p.df === 0) {
        ws.postings.delete(term);
        continue;
      }
      const slots: number[] = [];
      const tfs: number[] = [];
      for (let i = 0; i < p.slots.length; i++) {
        const slot = renumbered[p.slots[i]!]!;
        if (slot < 0) continue;
        slots.push(slot);
        tfs.push(p.tfs[i]!);
      }
      p.slots = slots;
      p.tfs = tfs;
    }
    ws.chunks = chunks;
    ws.lengths = lengths;
    ws.dead = 0;
  }
}
