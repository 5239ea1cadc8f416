import MiniSearch from 'minisearch';

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
const NON_ASCII = /[^\x00-\x7f]/;
const COMBINING_MARKS = /\p{M}+/gu;

function tokenize(text: string): string[] {
  return text.split(NON_WORD);
}

/**
 * Lower-case, accents folded (résumé finds resume), stop words and single
 * letters dropped, English plurals folded. Nothing more aggressive: precision first.
 */
export function processTerm(term: string): string | null {
  if (term.length === 0 || term.length > MAX_TERM_LENGTH) return null;
  let t = term.toLowerCase();
  if (NON_ASCII.test(t)) t = t.normalize('NFD').replace(COMBINING_MARKS, '').normalize('NFC');
  if (STOP_WORDS.has(t) || (t.length === 1 && !/\d/.test(t))) return null;
  return singular(t);
}

/** Harman's "S" stemmer (policies → policy, periods → period, boxes → boxe); it leaves -ss, -us and -is words alone. */
function singular(t: string): string {
  if (t.length < 4 || !/^[a-z]+s$/.test(t)) return t;
  if (t.endsWith('ies') && !t.endsWith('eies') && !t.endsWith('aies')) return `${t.slice(0, -3)}y`;
  if (t.endsWith('es') && !t.endsWith('aes') && !t.endsWith('ees') && !t.endsWith('oes')) return t.slice(0, -1);
  if (!t.endsWith('us') && !t.endsWith('ss') && !t.endsWith('is')) return t.slice(0, -1);
  return t;
}

/** The distinct terms of a query, processed exactly as indexed text is. */
export function queryTerms(query: string): string[] {
  const terms = new Set<string>();
  for (const token of tokenize(query)) {
    const term = processTerm(token);
    if (term) terms.add(term);
  }
  return [...terms];
}

// minisearch's defaults (BM25+), stated here because the score normalisation depends on them.
const BM25 = { k: 1.2, b: 0.7, d: 0.5 };
const MAX_TERM_WEIGHT = BM25.d + BM25.k + 1; // the BM25+ term-frequency factor as term frequency grows without bound

interface Workspace {
  search: MiniSearch<IndexedChunk>;
  chunks: Map<string, IndexedChunk>;
  byDocument: Map<number, Set<string>>;
}

/**
 * In-memory BM25 retrieval over chunks, one minisearch index per workspace.
 * Derived data: whoever owns it rebuilds it from the read models after a
 * replay or a restart; nothing here is persisted.
 */
export class RetrievalIndex {
  private readonly workspaces = new Map<number, Workspace>();

  /** Adds chunks; a chunk id already present is replaced, so redelivery and rebuilds are harmless. */
  add(workspaceId: number, chunks: readonly IndexedChunk[]): void {
    if (chunks.length === 0) return;
    const ws = this.workspace(workspaceId);
    const fresh: IndexedChunk[] = [];
    const seen = new Set<string>();
    for (const chunk of chunks) {
      if (seen.has(chunk.id)) continue; // the same id twice in one call: the first wins
      seen.add(chunk.id);
      if (ws.chunks.has(chunk.id)) this.forget(ws, chunk.id);
      ws.chunks.set(chunk.id, chunk);
      let ids = ws.byDocument.get(chunk.documentId);
      if (!ids) ws.byDocument.set(chunk.documentId, (ids = new Set()));
      ids.add(chunk.id);
      fresh.push(chunk);
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
    ws.byDocument.delete(documentId);
    if (ws.byDocument.size === 0) {
      this.workspaces.delete(workspaceId); // nothing left: let the whole index go at once
      return;
    }
    ws.search.discardAll([...ids]);
    for (const id of ids) ws.chunks.delete(id);
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
   * Raw BM25 scores are unbounded and depend on the query, so they are
   * divided by the most this query could score: the sum, over its distinct
   * terms, of each term's IDF times the BM25+ term-frequency factor's upper
   * bound (d + k + 1). A score is thus the IDF-weighted share of the query a
   * chunk satisfies, saturated by term frequency: every term present once in
   * a chunk of average length gives about 0.55, a chunk holding only half of
   * the query's information about half that, only its common words little. Query terms absent from
   * the workspace count in the bound with the highest IDF, so a query about
   * things the documents never mention scores low. The workspace's
   * similarity_threshold is compared with this normalised score.
   */
  search(workspaceId: number, query: string, { topN, threshold }: SearchOptions): SearchHit[] {
    const ws = this.workspaces.get(workspaceId);
    const terms = queryTerms(query);
    if (!ws || terms.length === 0 || topN <= 0) return [];
    const results = ws.search.search(terms.join(' '));
    if (results.length === 0) return [];

    // Document frequency of each query term among the chunks, counted from the results themselves (OR query).
    const matching = new Map<string, number>(terms.map((t) => [t, 0]));
    for (const result of results) for (const term of result.queryTerms) matching.set(term, (matching.get(term) ?? 0) + 1);
    const total = ws.chunks.size;
    let bound = 0;
    for (const count of matching.values()) bound += Math.log(1 + (total - count + 0.5) / (count + 0.5)) * MAX_TERM_WEIGHT;

    const scored: { id: string; score: number }[] = [];
    for (const result of results) {
      // minisearch multiplies by the number of query terms matched (a coordination factor); undone to keep plain BM25+,
      // which saturates by itself and gives a score that the bound above can normalise.
      const score = Math.min(1, result.score / result.queryTerms.length / bound);
      if (score >= threshold) scored.push({ id: result.id as string, score });
    }
    scored.sort((a, b) => b.score - a.score); // stable: ties keep minisearch's order

    const hits: SearchHit[] = [];
    for (const { id, score } of scored.slice(0, topN)) {
      const chunk = ws.chunks.get(id);
      if (chunk) hits.push({ chunkId: id, documentId: chunk.documentId, filename: chunk.filename, chunkIndex: chunk.chunkIndex, text: chunk.text, score });
    }
    return hits;
  }

  private workspace(workspaceId: number): Workspace {
    let ws = this.workspaces.get(workspaceId);
    if (!ws) {
      ws = {
        search: new MiniSearch<IndexedChunk>({
          fields: ['text'],
          storeFields: [], // the chunks live in `chunks`; storing them twice would double the memory
          tokenize,
          processTerm,
          searchOptions: { combineWith: 'OR', prefix: false, fuzzy: false, bm25: BM25 },
        }),
        chunks: new Map(),
        byDocument: new Map(),
      };
      this.workspaces.set(workspaceId, ws);
    }
    return ws;
  }

  /** Replacing a chunk: discard its old version from the index and the maps. */
  private forget(ws: Workspace, chunkId: string): void {
    const old = ws.chunks.get(chunkId)!;
    ws.search.discard(chunkId);
    ws.chunks.delete(chunkId);
    const ids = ws.byDocument.get(old.documentId);
    ids?.delete(chunkId);
    if (ids?.size === 0) ws.byDocument.delete(old.documentId);
  }
}
