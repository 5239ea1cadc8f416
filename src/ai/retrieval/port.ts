import type { SearchHit, SearchOptions } from './bm25-index.js';

/** A pinned document, given whole to the prompt. */
export interface PinnedDocument {
  documentId: number;
  filename: string;
  text: string;
}

/**
 * What chat knows of a workspace's documents: search over their chunks (BM25, plus vectors when an
 * embeddings endpoint is configured) and the full text of the pinned ones. Derived from read models.
 */
export interface WorkspaceKnowledge {
  search(workspaceId: number, query: string, options: SearchOptions): Promise<SearchHit[]>;
  pinned(workspaceId: number): Promise<PinnedDocument[]>;
}
