import type { DocumentEvent } from '../../domain/documents/events.js';
import type { WorkspaceDeleted } from '../../domain/workspaces/events.js';
import type { Collection } from '../../infra/readstore/port.js';
import { storedUserObject } from '../shared/user-object.js';
import { applyGuarded, deleteGuarded, type Projection } from '../shared/projection.js';

export const DOCUMENTS = 'documents';
export const DOCUMENT_CHUNKS = 'document_chunks';

export const DOCUMENT_EVENT_TYPES = [
  'DocumentUploaded',
  'DocumentChunksAdded',
  'DocumentProcessed',
  'DocumentFailed',
  'DocumentSourceChanged',
  'DocumentPinned',
  'DocumentUnpinned',
  'DocumentWatched',
  'DocumentUnwatched',
  'DocumentDeleted',
] as const satisfies readonly DocumentEvent['type'][];

export const chunkId = (documentId: number, index: number) => `${documentId}:${index}`;

/**
 * A document's chunks are those of its latest ingestion: older ones go once the new one records its first chunks or ends.
 * Ingestions count from 1, so the first has nothing older: not looking spares a scan of the document's chunks per upload.
 */
const dropOlderIngestions = async (chunks: Collection, documentId: number, ingestion: number) => {
  if (ingestion > 1) await chunks.deleteMany({ documentId, ingestion: { $lt: ingestion } });
};

/**
 * Documents as the API lists them, and their chunks (the text retrieval searches), both rebuilt from
 * events alone. A deleted document, or one whose workspace was deleted, leaves with all its chunks.
 */
export const documentsProjection: Projection<DocumentEvent | WorkspaceDeleted> = {
  name: 'documents',
  collections: [DOCUMENTS, DOCUMENT_CHUNKS],
  handles: [...DOCUMENT_EVENT_TYPES, 'WorkspaceDeleted'],
  async setup(db) {
    await db.collection(DOCUMENTS).ensureIndex(['workspaceId']);
    await db.collection(DOCUMENT_CHUNKS).ensureIndex(['documentId']);
    await db.collection(DOCUMENT_CHUNKS).ensureIndex(['workspaceId']);
  },
  async apply(event, db) {
    const documents = db.collection(DOCUMENTS);
    const chunks = db.collection(DOCUMENT_CHUNKS);
    const pos = event.position;
    if (event.type === 'WorkspaceDeleted') {
      const workspaceId = event.data.workspaceId;
      await documents.deleteMany({ workspaceId });
      await chunks.deleteMany({ workspaceId });
      return;
    }
    const documentId = event.data.documentId;
    const id = String(documentId);
    switch (event.type) {
      case 'DocumentUploaded': {
        const d = event.data;
        return applyGuarded(documents, id, pos, {
          $set: {
            id: documentId,
            filename: d.filename,
            workspaceId: d.workspaceId,
            status: 'processing',
            pinned: false,
            watched: false,
            metadata: storedUserObject(d.metadata),
            size: d.size,
            mimeType: d.mimeType,
            format: d.format,
            storedName: d.storedName,
            chunkCount: 0,
            characters: 0,
            contentHash: null,
            ingestion: d.ingestion,
            error: null,
            uploadedBy: d.uploadedBy,
            createdAt: d.at,
            updatedAt: d.at,
          },
        });
      }
      case 'DocumentChunksAdded': {
        const d = event.data;
        const doc = await documents.findOne({ _id: id });
        if (d.from === 0) await dropOlderIngestions(chunks, documentId, d.ingestion);
        const filename = doc?.filename ?? null;
        // One bulk write for the batch, guarded by position per chunk as applyGuarded would be.
        await chunks.upsertMany(
          d.chunks.map((chunk, i) => {
            const index = d.from + i;
            return {
              _id: chunkId(documentId, index),
              documentId,
              workspaceId: d.workspaceId,
              ingestion: d.ingestion,
              index,
              text: chunk.text,
              start: chunk.start,
              filename,
              _pos: pos,
            };
          }),
          { guard: '_pos' },
        );
        return;
      }
      case 'DocumentProcessed': {
        const d = event.data;
        await dropOlderIngestions(chunks, documentId, d.ingestion);
        return applyGuarded(
          documents,
          id,
          pos,
          {
            $set: {
              status: 'ready',
              chunkCount: d.chunkCount,
              characters: d.characters,
              contentHash: d.contentHash,
              ingestion: d.ingestion,
              error: null,
              updatedAt: d.at,
            },
          },
          false,
        );
      }
      case 'DocumentFailed':
        return applyGuarded(
          documents,
          id,
          pos,
          {
            $set: {
              status: 'failed',
              error: event.data.reason,
              ingestion: event.data.ingestion,
              updatedAt: event.data.at,
            },
          },
          false,
        );
      case 'DocumentSourceChanged':
        return applyGuarded(
          documents,
          id,
          pos,
          { $set: { status: 'processing', error: null, ingestion: event.data.ingestion, updatedAt: event.data.at } },
          false,
        );
      case 'DocumentPinned':
      case 'DocumentUnpinned':
        return applyGuarded(
          documents,
          id,
          pos,
          { $set: { pinned: event.type === 'DocumentPinned', updatedAt: event.data.at } },
          false,
        );
      case 'DocumentWatched':
      case 'DocumentUnwatched':
        return applyGuarded(
          documents,
          id,
          pos,
          { $set: { watched: event.type === 'DocumentWatched', updatedAt: event.data.at } },
          false,
        );
      case 'DocumentDeleted':
        await deleteGuarded(documents, id, pos);
        await chunks.deleteMany({ documentId });
    }
  },
};
