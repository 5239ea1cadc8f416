import MiniSearch, { type SearchResult } from 'minisearch';

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
const STOP_WORDS = new Set(
  `
a about above after again against all am an and any are as at be because been before being below between both but by
can could did do does doing down during each few for from further had has have having he her here hers herself him
himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other
our ours ourselves out over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which while who whom why will
with would you your yours yourself yourselves s t d ll m re ve don doesn didn isn aren wasn weren won wouldn shouldn
`
    .split(/\s+/)
    .filter(Boolean),
);

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

// minisearch's defaults (BM25+), stated here because the score normalisation depends on them.
const BM25 = { k: 1.2, b: 0.7, d: 0.5 };
const MAX_TERM_WEIGHT = BM25.d + BM25.k + 1; // the BM25+ term-frequency factor as term frequency grows without bound

/**
 * How many postings (chunk entries of the query's terms) one search walks; see RetrievalIndex#search.
 * minisearch spends a microsecond or two per posting it scores (a result entry per chunk, its
 * field-length lookup, the result objects), but only a few tenths of one per posting whose chunk
 * boostDocument turns away before scoring. So the rarest terms choose the candidate chunks and are
 * scored in full, and the commoner terms are scored for those candidates only.
 */
export interface PostingsBudget {
  /** Postings of the rarest terms, whose chunks are the candidates (the rarest term is always taken). */
  candidates: number;
  /** Postings of every term scored, candidates' terms included; terms beyond it are set aside. */
  scored: number;
}

/**
 * 1,000 candidate postings keep ~96 % of the unbudgeted top 4 on the retrieval bench's natural
 * queries (5,000 postings of plain OR search kept 86 %) in half the time; a term found in
 * more than ~30 % of a 50,000-chunk workspace adds little and is set aside.
 */
export const POSTINGS_BUDGET: PostingsBudget = { candidates: 1_000, scored: 15_000 };

const idf = (total: number, df: number) => Math.log(1 + (total - df + 0.5) / (df + 0.5));

interface Workspace {
  search: MiniSearch<{ id: string; terms: string }>;
  chunks: Map<string, IndexedChunk>;
  byDocument: Map<number, Set<string>>;
  /** Document frequency: in how many chunks each term occurs. */
  df: Map<string, number>;
}

/**
 * In-memory BM25 retrieval over chunks, one minisearch index per workspace.
 * Derived data: whoever owns it rebuilds it from the read models after a
 * replay or a restart; nothing here is persisted.
 */
export class RetrievalIndex {
  private readonly workspaces = new Map<number, Workspace>();

  constructor(private readonly budget: PostingsBudget = POSTINGS_BUDGET) {}

  /** Adds chunks; a chunk id already present is replaced, so redelivery and rebuilds are harmless. */
  add(workspaceId: number, chunks: readonly IndexedChunk[]): void {
    if (chunks.length === 0) return;
    const ws = this.workspace(workspaceId);
    const fresh: { id: string; terms: string }[] = [];
    const seen = new Set<string>();
    for (const chunk of chunks) {
      if (seen.has(chunk.id)) continue; // the same id twice in one call: the first wins
      seen.add(chunk.id);
      if (ws.chunks.has(chunk.id)) this.forget(ws, chunk.id);
      ws.chunks.set(chunk.id, chunk);
      let ids = ws.byDocument.get(chunk.documentId);
      if (!ids) ws.byDocument.set(chunk.documentId, (ids = new Set()));
      ids.add(chunk.id);
      // Analysed once here, for the document frequencies and for minisearch (which then only splits on spaces).
      const terms = analyze(chunk.text);
      for (const term of new Set(terms)) ws.df.set(term, (ws.df.get(term) ?? 0) + 1);
      fresh.push({ id: chunk.id, terms: terms.join(' ') });
    }
    ws.search.addAll(fresh);
  }

  /**
   * Drops a document's chunks. Uses minisearch's discard, which needs only
   * the ids (remove would need each chunk's full text again); the index
   * cleans up the discarded postings in the background (auto-vacuum).
   */
  removeDocument(workspaceId: number, documentId: number): void {
    const ws = this.workspaces.get(workspaceId);
    const ids = ws?.byDocument.get(documentId);
    if (!ws || !ids) return;
    if (ws.byDocument.size === 1) {
      this.workspaces.delete(workspaceId); // nothing would be left: let the whole index go at once
      return;
    }
    for (const id of [...ids]) this.forget(ws, id);
  }

  clearWorkspace(workspaceId: number): void {
    this.workspaces.delete(workspaceId);
  }

  /** Number of chunks indexed for the workspace. */
  size(workspaceId: number): number {
    return this.workspaces.get(workspaceId)?.chunks.size ?? 0;
  }

  /**
   * The topN chunks best matching the query, best first, each scored 0..1.
   *
   * Terms: the query's distinct terms, rarest first. The rarest, as long as their postings fit
   * the budget's `candidates` (the rarest is always taken), choose the candidates: the chunks
   * holding at least one of them. The commoner terms, as long as all the postings fit `scored`,
   * are then scored for those candidates only (minisearch's boostDocument turns the other chunks
   * away before scoring them). So a candidate's score is its plain BM25+ over all the scored
   * terms; what the budget costs is the chunks holding only common query words, which seldom
   * rank (the idea of Elasticsearch's old common-terms query). The terms beyond `scored` are the
   * workspace's commonest words, whose IDF is low: set aside. When the query's terms occur in
   * fewer chunks than `candidates` all told, the ranking is plain BM25+ over every chunk.
   *
   * Score: raw BM25+ over the scored terms, divided by the most those terms could score: the
   * sum of each term's IDF times the BM25+ term-frequency factor's upper bound (d + k + 1). So a
   * score is the IDF-weighted share of the query a chunk satisfies, saturated by term frequency:
   * every term present once in a chunk of average length gives about 0.55, a chunk holding half
   * of the query's information about half that, one holding only its common words little. Terms
   * that occur nowhere in the workspace count in the bound with the highest IDF, so a query about
   * things the documents never mention scores low. The workspace's similarity_threshold is
   * compared with this normalised score.
   *
   * `budget` is for measuring: the bench compares the ranking with an unbudgeted one.
   */
  search(workspaceId: number, query: string, { topN, threshold }: SearchOptions, budget = this.budget): SearchHit[] {
    const ws = this.workspaces.get(workspaceId);
    if (!ws || topN <= 0) return [];
    const total = ws.chunks.size;
    const byRarity = queryTerms(query)
      .map((term) => ({ term, df: ws.df.get(term) ?? 0 }))
      .sort((a, b) => a.df - b.df || (a.term < b.term ? -1 : 1));
    const choosing: string[] = []; // the rarest terms: their chunks are the candidates
    const scoring: string[] = []; // commoner terms, scored for the candidates only
    let chosen = 0;
    let walked = 0;
    let bound = 0;
    let scoringBound = 0;
    for (const { term, df } of byRarity) {
      const ceiling = idf(total, df) * MAX_TERM_WEIGHT;
      if (scoring.length === 0 && (chosen === 0 || chosen + df <= budget.candidates)) {
        choosing.push(term);
        chosen += df;
      } else if (walked + df <= budget.scored) {
        scoring.push(term);
        scoringBound += ceiling;
      } else break;
      walked += df;
      bound += ceiling;
    }
    if (choosing.every((term) => !ws.df.has(term))) return [];

    // minisearch multiplies by the number of query terms matched (a coordination factor); undone to keep plain BM25+,
    // which saturates by itself and is what the bound above bounds.
    const raw = (result: SearchResult) => result.score / result.queryTerms.length;
    // A candidate below this cannot reach the threshold even holding every scoring term: filtering inside minisearch
    // spares it building and sorting those results.
    const floor = threshold * bound - scoringBound;
    const candidates = ws.search.search(
      choosing.join(' '),
      floor > 0 ? { filter: (result) => raw(result) >= floor } : {},
    );
    const scores = new Map<string, number>();
    for (const result of candidates) scores.set(result.id as string, raw(result));
    if (scoring.length > 0 && scores.size > 0) {
      const boostDocument = (id: unknown) => (scores.has(id as string) ? 1 : 0); // 0: skipped before scoring
      for (const result of ws.search.search(scoring.join(' '), { boostDocument })) {
        scores.set(result.id as string, scores.get(result.id as string)! + raw(result));
      }
    }

    const scored: { id: string; score: number }[] = [];
    for (const [id, sum] of scores) {
      const score = Math.min(1, sum / bound);
      if (score >= threshold) scored.push({ id, score });
    }
    scored.sort((a, b) => b.score - a.score); // stable: ties keep the candidates' order (minisearch's, best first)

    const hits: SearchHit[] = [];
    for (const { id, score } of scored.slice(0, topN)) {
      const chunk = ws.chunks.get(id);
      if (chunk)
        hits.push({
          chunkId: id,
          documentId: chunk.documentId,
          filename: chunk.filename,
          chunkIndex: chunk.chunkIndex,
          text: chunk.text,
          score,
        });
    }
    return hits;
  }

  private workspace(workspaceId: number): Workspace {
    let ws = this.workspaces.get(workspaceId);
    if (!ws) {
      const split = (text: string) => text.split(' ');
      const asIs = (term: string) => term;
      ws = {
        search: new MiniSearch<{ id: string; terms: string }>({
          fields: ['terms'],
          storeFields: [], // the chunks live in `chunks`; storing them twice would double the memory
          tokenize: split, // the text arrives analysed (see add)
          processTerm: asIs,
          searchOptions: {
            tokenize: split,
            processTerm: asIs,
            combineWith: 'OR',
            prefix: false,
            fuzzy: false,
            bm25: BM25,
          },
        }),
        chunks: new Map(),
        byDocument: new Map(),
        df: new Map(),
      };
      this.workspaces.set(workspaceId, ws);
    }
    return ws;
  }

  /** Takes a chunk out: discarded from minisearch, its terms' document frequencies lowered. */
  private forget(ws: Workspace, chunkId: string): void {
    const old = ws.chunks.get(chunkId)!;
    ws.search.discard(chunkId);
    ws.chunks.delete(chunkId);
    for (const term of new Set(analyze(old.text))) {
      const n = (ws.df.get(term) ?? 1) - 1;
      if (n > 0) ws.df.set(term, n);
      else ws.df.delete(term);
    }
    const ids = ws.byDocument.get(old.documentId);
    ids?.delete(chunkId);
    if (ids?.size === 0) ws.byDocument.delete(old.documentId);
  }
}
