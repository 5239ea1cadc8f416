import { isPrivileged } from '../identity/roles.js';
import type { Decider } from '../shared/decider.js';
import { conflict, forbidden, notFound } from '../shared/errors.js';
import type { WorkspaceActor } from '../workspaces/workspace.js';
import type { Chunk, DocumentEvent, DocumentStatus } from './events.js';

export type DocumentState =
  | { status: 'none' }
  | {
      status: DocumentStatus | 'deleted';
      documentId: number;
      workspaceId: number;
      storedName: string;
      pinned: boolean;
      watched: boolean;
      /** The ingestion under way or last finished. */
      ingestion: number;
      /** Chunks recorded for that ingestion so far. */
      chunksRecorded: number;
      /** Hash of the source bytes the last finished ingestion read; null before the first. */
      contentHash: string | null;
    };

type Existing = Extract<DocumentState, { documentId: number }>;

export interface Upload {
  documentId: number;
  workspaceId: number;
  filename: string;
  storedName: string;
  mimeType: string;
  format: string;
  size: number;
  metadata: Record<string, unknown>;
}

/** Commands of people (membership of the workspace is checked by the handler) and of ingestion jobs. */
export type DocumentCommand =
  | ({ type: 'UploadDocument'; actor: WorkspaceActor; now: Date } & Upload)
  | { type: 'PinDocument'; actor: WorkspaceActor; pin: boolean; now: Date }
  | { type: 'WatchDocument'; actor: WorkspaceActor; watch: boolean; now: Date }
  | { type: 'DeleteDocument'; actor: WorkspaceActor; now: Date }
  | { type: 'RecordChunks'; ingestion: number; from: number; chunks: Chunk[] }
  | { type: 'MarkProcessed'; ingestion: number; chunkCount: number; characters: number; contentHash: string; now: Date }
  | { type: 'MarkFailed'; ingestion: number; reason: string; now: Date }
  | { type: 'RecordSourceChange'; contentHash: string; now: Date };

/** Only admins and managers change documents; default members read them and chat over them. */
export const canWriteDocuments = (actor: WorkspaceActor) => isPrivileged(actor.role);

function existing(state: DocumentState): Existing {
  if (state.status === 'none' || state.status === 'deleted') throw notFound();
  return state;
}

/** A job's command counts only for the ingestion under way; anything else is a late or repeated job. */
const isCurrentIngestion = (doc: Existing, ingestion: number) =>
  doc.status === 'processing' && doc.ingestion === ingestion;

export function decide(command: DocumentCommand, state: DocumentState): DocumentEvent[] {
  if (command.type === 'UploadDocument') {
    if (!canWriteDocuments(command.actor)) throw forbidden();
    if (state.status !== 'none') throw conflict('Document already exists.');
    const { type: _type, actor, now, ...upload } = command;
    return [
      { type: 'DocumentUploaded', data: { ...upload, uploadedBy: actor.userId, ingestion: 1, at: now.toISOString() } },
    ];
  }
  if (
    state.status === 'deleted' &&
    (command.type === 'RecordChunks' ||
      command.type === 'MarkProcessed' ||
      command.type === 'MarkFailed' ||
      command.type === 'RecordSourceChange')
  ) {
    return []; // the document went while its job ran: nothing left to record
  }
  const doc = existing(state);
  const { documentId, workspaceId } = doc;
  switch (command.type) {
    case 'PinDocument':
    case 'WatchDocument':
    case 'DeleteDocument': {
      if (!canWriteDocuments(command.actor)) throw forbidden();
      const at = command.now.toISOString();
      if (command.type === 'DeleteDocument')
        return [{ type: 'DocumentDeleted', data: { documentId, workspaceId, storedName: doc.storedName, at } }];
      if (command.type === 'PinDocument') {
        if (command.pin === doc.pinned) return [];
        return [{ type: command.pin ? 'DocumentPinned' : 'DocumentUnpinned', data: { documentId, workspaceId, at } }];
      }
      if (command.watch === doc.watched) return [];
      return [{ type: command.watch ? 'DocumentWatched' : 'DocumentUnwatched', data: { documentId, workspaceId, at } }];
    }
    case 'RecordChunks': {
      // Chunks come in order; what a retried job already recorded is skipped (a batch cut differently on
      // the retry overlaps: only its unrecorded tail is new), a gap is a bug upstream.
      if (!isCurrentIngestion(doc, command.ingestion)) return [];
      if (command.from > doc.chunksRecorded)
        throw conflict(`Chunk ${doc.chunksRecorded} must come before chunk ${command.from}.`);
      const fresh = command.chunks.slice(doc.chunksRecorded - command.from);
      if (!fresh.length) return [];
      return [
        {
          type: 'DocumentChunksAdded',
          data: { documentId, workspaceId, ingestion: command.ingestion, from: doc.chunksRecorded, chunks: fresh },
        },
      ];
    }
    case 'MarkProcessed': {
      if (!isCurrentIngestion(doc, command.ingestion)) return [];
      if (command.chunkCount !== doc.chunksRecorded)
        throw conflict(`Recorded ${doc.chunksRecorded} chunks, not ${command.chunkCount}.`);
      const { ingestion, chunkCount, characters, contentHash } = command;
      return [
        {
          type: 'DocumentProcessed',
          data: {
            documentId,
            workspaceId,
            ingestion,
            chunkCount,
            characters,
            contentHash,
            at: command.now.toISOString(),
          },
        },
      ];
    }
    case 'MarkFailed':
      if (!isCurrentIngestion(doc, command.ingestion)) return [];
      return [
        {
          type: 'DocumentFailed',
          data: {
            documentId,
            workspaceId,
            ingestion: command.ingestion,
            reason: command.reason,
            at: command.now.toISOString(),
          },
        },
      ];
    case 'RecordSourceChange':
      // Only a finished, watched document is re-read; one under way will read the newest source anyway.
      if (!doc.watched || doc.status === 'processing' || command.contentHash === doc.contentHash) return [];
      return [
        {
          type: 'DocumentSourceChanged',
          data: {
            documentId,
            workspaceId,
            ingestion: doc.ingestion + 1,
            contentHash: command.contentHash,
            at: command.now.toISOString(),
          },
        },
      ];
  }
}

export function evolve(state: DocumentState, event: DocumentEvent): DocumentState {
  if (event.type === 'DocumentUploaded') {
    const d = event.data;
    return {
      status: 'processing',
      documentId: d.documentId,
      workspaceId: d.workspaceId,
      storedName: d.storedName,
      pinned: false,
      watched: false,
      ingestion: d.ingestion,
      chunksRecorded: 0,
      contentHash: null,
    };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'DocumentChunksAdded':
      return { ...state, chunksRecorded: event.data.from + event.data.chunks.length };
    case 'DocumentProcessed':
      return { ...state, status: 'ready', contentHash: event.data.contentHash };
    case 'DocumentFailed':
      return { ...state, status: 'failed' };
    case 'DocumentSourceChanged':
      return { ...state, status: 'processing', ingestion: event.data.ingestion, chunksRecorded: 0 };
    case 'DocumentPinned':
    case 'DocumentUnpinned':
      return { ...state, pinned: event.type === 'DocumentPinned' };
    case 'DocumentWatched':
    case 'DocumentUnwatched':
      return { ...state, watched: event.type === 'DocumentWatched' };
    case 'DocumentDeleted':
      return { ...state, status: 'deleted' };
  }
}

export const documentDecider: Decider<DocumentState, DocumentCommand, DocumentEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};
