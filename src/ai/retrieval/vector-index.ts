import type { IndexedChunk, SearchHit } from './bm25-index.js';

interface Entry {
  chunk: IndexedChunk;
  /** Unit length: the dot product is the cosine similarity. */
  vector: Float32Array;
}

/**
 * Exact nearest-neighbour search by cosine similarity, per workspace: a scan of every vector. At
 * 1,536 dimensions that is about a millisecond per thousand chunks, fine for the workspaces this
 * serves; an approximate index would be the next step past that. Derived data, like the BM25 index.
 */
export class VectorIndex {
  private readonly workspaces = new Map<number, Map<string, Entry>>();

  add(workspaceId: number, chunk: IndexedChunk, unitVector: Float32Array): void {
    let ws = this.workspaces.get(workspaceId);
    if (!ws) this.workspaces.set(workspaceId, (ws = new Map()));
    ws.set(chunk.id, { chunk, vector: unitVector });
  }

  has(workspaceId: number, chunkId: string): boolean {
    return this.workspaces.get(workspaceId)?.has(chunkId) ?? false;
  }

  removeDocument(workspaceId: number, documentId: number): void {
    const ws = this.workspaces.get(workspaceId);
    if (!ws) return;
    for (const [id, entry] of ws) if (entry.chunk.documentId === documentId) ws.delete(id);
  }

  size(workspaceId: number): number {
    return this.workspaces.get(workspaceId)?.size ?? 0;
  }

  /** The topN chunks most similar to the query vector (unit length), best first; score is the cosine clamped to 0..1. */
  search(workspaceId: number, query: Float32Array, topN: number): SearchHit[] {
    const ws = this.workspaces.get(workspaceId);
    if (!ws || topN <= 0) return [];
    const best: { entry: Entry; score: number }[] = [];
    let floor = -Infinity;
    for (const entry of ws.values()) {
      const v = entry.vector;
      if (v.length !== query.length) continue;
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += v[i]! * query[i]!;
      if (best.length === topN && dot <= floor) continue;
      best.push({ entry, score: dot });
      best.sort((a, b) => b.score - a.score);
      if (best.length > topN) best.pop();
      floor = best.length === topN ? best[best.length - 1]!.score : -Infinity;
    }
    return best.map(({ entry: { chunk }, score }) => ({
      chunkId: chunk.id,
      documentId: chunk.documentId,
      filename: chunk.filename,
      chunkIndex: chunk.chunkIndex,
      text: chunk.text,
      score: Math.max(0, Math.min(1, score)),
    }));
  }
}
