import { RetrievalIndex } from '../../src/ai/retrieval/bm25-index.js';
import type { PinnedDocument, WorkspaceKnowledge } from '../../src/ai/retrieval/port.js';
import { splitText } from '../../src/jobs/ingestion/chunk.js';

export interface TestDocument { documentId: number; filename: string; text: string; pinned?: boolean }

/**
 * A test double of WorkspaceKnowledge (the real one is built from the documents read model in the
 * documents branch): the real BM25 index over real text, chunked by the real chunker. Documents
 * are added per workspace id, as ingestion would add them.
 */
export class TestKnowledge implements WorkspaceKnowledge {
  readonly index = new RetrievalIndex();
  private readonly pinnedDocs = new Map<number, PinnedDocument[]>();
  /** How often each method was asked, so a test can tell that retrieval took place. */
  readonly calls = { search: 0, pinned: 0 };

  add(workspaceId: number, doc: TestDocument, chunkSize = 400): this {
    const chunks = splitText(doc.text, { chunkSize, chunkOverlap: 0 });
    this.index.add(workspaceId, chunks.map((text, i) => ({ id: `${doc.documentId}:${i}`, documentId: doc.documentId, chunkIndex: i, filename: doc.filename, text })));
    if (doc.pinned) this.pinnedDocs.set(workspaceId, [...(this.pinnedDocs.get(workspaceId) ?? []), { documentId: doc.documentId, filename: doc.filename, text: doc.text }]);
    return this;
  }

  async search(workspaceId: number, query: string, options: { topN: number; threshold: number }) {
    this.calls.search += 1;
    return this.index.search(workspaceId, query, options);
  }

  async pinned(workspaceId: number) {
    this.calls.pinned += 1;
    return this.pinnedDocs.get(workspaceId) ?? [];
  }
}
