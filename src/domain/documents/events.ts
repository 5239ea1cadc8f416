import type { DomainEvent } from '../shared/decider.js';

/**
 * A document's stream is `document-<id>`. Each ingestion (the upload, then every change of a watched
 * source) has a number; chunks and outcomes name the ingestion they belong to, so a late job of an
 * earlier ingestion changes nothing. The chunk texts travel in events (in batches, to stay well under
 * EventStoreDB's event size limit) so that a replay rebuilds the chunks read model from events alone.
 */
export type DocumentUploaded = DomainEvent<
  'DocumentUploaded',
  {
    documentId: number;
    workspaceId: number;
    filename: string;
    storedName: string;
    mimeType: string;
    format: string;
    size: number;
    metadata: Record<string, unknown>;
    uploadedBy: number;
    ingestion: number;
    at: string;
  }
>;
/** A chunk of the extracted text and where it starts in it (consecutive chunks overlap). */
export interface Chunk {
  text: string;
  start: number;
}
export type DocumentChunksAdded = DomainEvent<
  'DocumentChunksAdded',
  {
    documentId: number;
    workspaceId: number;
    ingestion: number;
    from: number;
    chunks: Chunk[];
  }
>;
export type DocumentProcessed = DomainEvent<
  'DocumentProcessed',
  {
    documentId: number;
    workspaceId: number;
    ingestion: number;
    chunkCount: number;
    characters: number;
    contentHash: string;
    at: string;
  }
>;
export type DocumentFailed = DomainEvent<
  'DocumentFailed',
  { documentId: number; workspaceId: number; ingestion: number; reason: string; at: string }
>;
/** A watched document's stored source no longer matches the hash of its last ingestion: ingest it again. */
export type DocumentSourceChanged = DomainEvent<
  'DocumentSourceChanged',
  {
    documentId: number;
    workspaceId: number;
    ingestion: number;
    contentHash: string;
    at: string;
  }
>;
export type DocumentPinned = DomainEvent<'DocumentPinned', { documentId: number; workspaceId: number; at: string }>;
export type DocumentUnpinned = DomainEvent<'DocumentUnpinned', { documentId: number; workspaceId: number; at: string }>;
export type DocumentWatched = DomainEvent<'DocumentWatched', { documentId: number; workspaceId: number; at: string }>;
export type DocumentUnwatched = DomainEvent<
  'DocumentUnwatched',
  { documentId: number; workspaceId: number; at: string }
>;
export type DocumentDeleted = DomainEvent<
  'DocumentDeleted',
  { documentId: number; workspaceId: number; storedName: string; at: string }
>;

export type DocumentEvent =
  | DocumentUploaded
  | DocumentChunksAdded
  | DocumentProcessed
  | DocumentFailed
  | DocumentSourceChanged
  | DocumentPinned
  | DocumentUnpinned
  | DocumentWatched
  | DocumentUnwatched
  | DocumentDeleted;

export type DocumentStatus = 'processing' | 'ready' | 'failed';
