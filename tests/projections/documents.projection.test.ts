/**
 * The documents read models: documents as the API lists them and the chunks of each document's
 * latest ingestion, both from events alone. A deleted document, or one of a deleted workspace,
 * leaves with all its chunks.
 */
import type { DocumentEvent } from '../../src/domain/documents/events.js';
import type { WorkspaceDeleted } from '../../src/domain/workspaces/events.js';
import { DOCUMENT_CHUNKS, DOCUMENTS, documentsProjection } from '../../src/projections/documents/projection.js';
import { projectionSpec } from '../support/projection-spec.js';

const spec = projectionSpec(documentsProjection);

const at = (day: number) => `2026-01-0${day}T00:00:00.000Z`;
const of = <T extends DocumentEvent['type']>(type: T, data: Extract<DocumentEvent, { type: T }>['data']) =>
  ({ type, data }) as Extract<DocumentEvent, { type: T }>;

const uploaded = (documentId: number, workspaceId = 1, ingestion = 1) =>
  of('DocumentUploaded', {
    documentId,
    workspaceId,
    filename: `notes-${documentId}.md`,
    storedName: `${documentId}-notes.md`,
    mimeType: 'text/markdown',
    format: 'md',
    size: 120,
    metadata: { source: 'manual_upload' },
    uploadedBy: 1,
    ingestion,
    at: at(1),
  });
const chunksAdded = (documentId: number, ingestion: number, from: number, texts: string[], workspaceId = 1) =>
  of('DocumentChunksAdded', {
    documentId,
    workspaceId,
    ingestion,
    from,
    chunks: texts.map((text, i) => ({ text, start: i * 10 })),
  });
const processed = (documentId: number, ingestion: number, chunkCount: number) =>
  of('DocumentProcessed', {
    documentId,
    workspaceId: 1,
    ingestion,
    chunkCount,
    characters: 42,
    contentHash: `hash-${ingestion}`,
    at: at(2),
  });
const workspaceDeleted = (workspaceId: number): WorkspaceDeleted => ({
  type: 'WorkspaceDeleted',
  data: { workspaceId, slug: `ws-${workspaceId}`, at: at(5) },
});

/** A document as DocumentUploaded leaves it. */
const processing = (documentId: number, workspaceId = 1) => ({
  _id: String(documentId),
  id: documentId,
  filename: `notes-${documentId}.md`,
  workspaceId,
  status: 'processing',
  pinned: false,
  watched: false,
  metadata: { source: 'manual_upload' },
  size: 120,
  mimeType: 'text/markdown',
  format: 'md',
  storedName: `${documentId}-notes.md`,
  chunkCount: 0,
  characters: 0,
  contentHash: null,
  ingestion: 1,
  error: null,
  uploadedBy: 1,
  createdAt: at(1),
  updatedAt: at(1),
});
const chunk = (documentId: number, ingestion: number, index: number, text: string) => ({
  _id: `${documentId}:${index}`,
  documentId,
  workspaceId: 1,
  ingestion,
  index,
  text,
  start: (index % 2) * 10,
  filename: `notes-${documentId}.md`,
});

describe('documents projection', () => {
  it('given an upload, then the document is processing, with no chunks', async () => {
    await spec.given(uploaded(1)).then(DOCUMENTS, [processing(1)]);
    await spec.given(uploaded(1)).then(DOCUMENT_CHUNKS, []);
  });

  it('given chunks and the ingestion processed, then the document is ready with its chunks, each naming its file', async () => {
    const events = [uploaded(1), chunksAdded(1, 1, 0, ['alpha', 'beta']), processed(1, 1, 2)];
    await spec
      .given(...events)
      .then(DOCUMENTS, [
        { ...processing(1), status: 'ready', chunkCount: 2, characters: 42, contentHash: 'hash-1', updatedAt: at(2) },
      ]);
    await spec.given(...events).then(DOCUMENT_CHUNKS, [chunk(1, 1, 0, 'alpha'), chunk(1, 1, 1, 'beta')]);
  });

  it('given an ingestion failed, then the document is failed with the reason', () =>
    spec
      .given(
        uploaded(1),
        of('DocumentFailed', { documentId: 1, workspaceId: 1, ingestion: 1, reason: 'unreadable PDF', at: at(2) }),
      )
      .then(DOCUMENTS, [{ ...processing(1), status: 'failed', error: 'unreadable PDF', updatedAt: at(2) }]));

  it("given a watched source changed and ingested again, then only the new ingestion's chunks remain", async () => {
    const events = [
      uploaded(1),
      chunksAdded(1, 1, 0, ['old one', 'old two']),
      processed(1, 1, 2),
      of('DocumentWatched', { documentId: 1, workspaceId: 1, at: at(2) }),
      of('DocumentSourceChanged', { documentId: 1, workspaceId: 1, ingestion: 2, contentHash: 'hash-2', at: at(3) }),
      chunksAdded(1, 2, 0, ['new one']),
    ];
    await spec.given(...events).then(DOCUMENTS, [
      {
        ...processing(1),
        status: 'processing',
        watched: true,
        chunkCount: 2,
        characters: 42,
        contentHash: 'hash-1',
        ingestion: 2,
        updatedAt: at(3),
      },
    ]);
    await spec.given(...events).then(DOCUMENT_CHUNKS, [chunk(1, 2, 0, 'new one')]);
  });

  it('given a document pinned, then unpinned, then it is not pinned', async () => {
    await spec
      .given(uploaded(1), of('DocumentPinned', { documentId: 1, workspaceId: 1, at: at(2) }))
      .then(DOCUMENTS, [{ ...processing(1), pinned: true, updatedAt: at(2) }]);
    await spec
      .given(
        uploaded(1),
        of('DocumentPinned', { documentId: 1, workspaceId: 1, at: at(2) }),
        of('DocumentUnpinned', { documentId: 1, workspaceId: 1, at: at(3) }),
      )
      .then(DOCUMENTS, [{ ...processing(1), pinned: false, updatedAt: at(3) }]);
  });

  it('given a document deleted, then it and its chunks are gone, and other documents stay', async () => {
    const events = [
      uploaded(1),
      chunksAdded(1, 1, 0, ['gone']),
      uploaded(2),
      chunksAdded(2, 1, 0, ['kept']),
      of('DocumentDeleted', { documentId: 1, workspaceId: 1, storedName: '1-notes.md', at: at(3) }),
    ];
    await spec.given(...events).then(DOCUMENTS, [processing(2)]);
    await spec.given(...events).then(DOCUMENT_CHUNKS, [chunk(2, 1, 0, 'kept')]);
  });

  it('given a workspace deleted, then its documents and chunks are gone, and other workspaces keep theirs', async () => {
    const events = [
      uploaded(1, 1),
      chunksAdded(1, 1, 0, ['in one']),
      uploaded(2, 2),
      chunksAdded(2, 1, 0, ['in two'], 2),
      workspaceDeleted(1),
    ];
    await spec.given(...events).then(DOCUMENTS, [processing(2, 2)]);
    await spec.given(...events).then(DOCUMENT_CHUNKS, [{ ...chunk(2, 1, 0, 'in two'), workspaceId: 2 }]);
  });

  it('given the events delivered again, then nothing changes', () =>
    spec
      .given(
        uploaded(1),
        chunksAdded(1, 1, 0, ['alpha', 'beta']),
        processed(1, 1, 2),
        of('DocumentPinned', { documentId: 1, workspaceId: 1, at: at(3) }),
        of('DocumentUnwatched', { documentId: 1, workspaceId: 1, at: at(4) }),
      )
      .thenRedeliveryChangesNothing());
});
