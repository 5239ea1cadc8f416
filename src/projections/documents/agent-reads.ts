import type { ReadStore } from '../../infra/readstore/port.js';
import { DOCUMENTS } from './projection.js';
import { chunksOfDocument, type DocumentView } from './queries.js';

/**
 * The document reads an agent's tools make (list_documents, read_document), scoped to one workspace.
 * The caller has checked that the invoking user may see that workspace.
 */
export function documentsForAgents(db: ReadStore) {
  return {
    async list(workspaceId: number) {
      const docs = await db.collection<DocumentView>(DOCUMENTS).find({ workspaceId }, { sort: { id: 1 } });
      return docs.map((d) => ({ id: d.id, filename: d.filename, status: d.status, chunkCount: d.chunkCount }));
    },
    async text(workspaceId: number, documentId: number) {
      const doc = await db.collection<DocumentView>(DOCUMENTS).findOne({ _id: String(documentId) });
      if (!doc || doc.workspaceId !== workspaceId || doc.status !== 'ready') return null;
      return { filename: doc.filename, text: joinChunks(await chunksOfDocument(db, documentId)) };
    },
  };
}

/**
 * The text back from its chunks: each is `source.slice(start, start + length)` and may overlap the one
 * before it; whitespace trimmed between two chunks comes back as one space.
 */
export function joinChunks(chunks: readonly { text: string; start: number }[]): string {
  let text = '';
  let end = 0;
  for (const chunk of chunks) {
    if (chunk.start > end && text) text += ' ';
    text += chunk.text.slice(Math.min(Math.max(0, end - chunk.start), chunk.text.length));
    end = Math.max(end, chunk.start + chunk.text.length);
  }
  return text;
}
