import { documentDecider } from '../../../src/domain/documents/document.js';
import type { Chunk, DocumentEvent } from '../../../src/domain/documents/events.js';
import { specFor } from '../given-when-then.js';

const given = specFor(documentDecider);
const now = new Date('2026-03-04T05:06:07.000Z');
const at = now.toISOString();
const admin = { userId: 1, role: 'admin' as const };
const manager = { userId: 2, role: 'manager' as const };
const member = { userId: 3, role: 'default' as const };

const upload = {
  documentId: 40,
  workspaceId: 9,
  filename: 'notes.md',
  storedName: '40-notes.md',
  mimeType: 'text/markdown',
  format: 'md',
  size: 120,
  metadata: { source: 'manual_upload' },
};
const uploaded: DocumentEvent = { type: 'DocumentUploaded', data: { ...upload, uploadedBy: 1, ingestion: 1, at } };
const chunk = (text: string, start: number): Chunk => ({ text, start });
const firstChunks: DocumentEvent = {
  type: 'DocumentChunksAdded',
  data: { documentId: 40, workspaceId: 9, ingestion: 1, from: 0, chunks: [chunk('a b', 0), chunk('b c', 2)] },
};
const processed: DocumentEvent = {
  type: 'DocumentProcessed',
  data: { documentId: 40, workspaceId: 9, ingestion: 1, chunkCount: 2, characters: 5, contentHash: 'h1', at },
};
const failed: DocumentEvent = {
  type: 'DocumentFailed',
  data: { documentId: 40, workspaceId: 9, ingestion: 1, reason: 'Unreadable PDF.', at },
};
const pinned: DocumentEvent = { type: 'DocumentPinned', data: { documentId: 40, workspaceId: 9, at } };
const watched: DocumentEvent = { type: 'DocumentWatched', data: { documentId: 40, workspaceId: 9, at } };
const deleted: DocumentEvent = {
  type: 'DocumentDeleted',
  data: { documentId: 40, workspaceId: 9, storedName: '40-notes.md', at },
};
const sourceChanged: DocumentEvent = {
  type: 'DocumentSourceChanged',
  data: { documentId: 40, workspaceId: 9, ingestion: 2, contentHash: 'h2', at },
};

describe('document decider: people', () => {
  it('lets an admin or a manager upload; the first ingestion starts', () => {
    given([])
      .when({ type: 'UploadDocument', actor: admin, now, ...upload })
      .then([uploaded]);
    given([])
      .when({ type: 'UploadDocument', actor: manager, now, ...upload })
      .then([{ type: 'DocumentUploaded', data: { ...upload, uploadedBy: 2, ingestion: 1, at } }]);
  });

  it('refuses an upload by a default member', () =>
    given([])
      .when({ type: 'UploadDocument', actor: member, now, ...upload })
      .thenThrows('forbidden'));

  it('refuses to upload twice under one id', () =>
    given([uploaded])
      .when({ type: 'UploadDocument', actor: admin, now, ...upload })
      .thenThrows('conflict'));

  it('pins and unpins, recording only real changes', () => {
    given([uploaded]).when({ type: 'PinDocument', actor: manager, pin: true, now }).then([pinned]);
    given([uploaded, pinned]).when({ type: 'PinDocument', actor: manager, pin: true, now }).then([]);
    given([uploaded, pinned])
      .when({ type: 'PinDocument', actor: admin, pin: false, now })
      .then([{ type: 'DocumentUnpinned', data: { documentId: 40, workspaceId: 9, at } }]);
    given([uploaded]).when({ type: 'PinDocument', actor: admin, pin: false, now }).then([]);
  });

  it('watches and unwatches, recording only real changes', () => {
    given([uploaded]).when({ type: 'WatchDocument', actor: admin, watch: true, now }).then([watched]);
    given([uploaded, watched]).when({ type: 'WatchDocument', actor: admin, watch: true, now }).then([]);
    given([uploaded, watched])
      .when({ type: 'WatchDocument', actor: admin, watch: false, now })
      .then([{ type: 'DocumentUnwatched', data: { documentId: 40, workspaceId: 9, at } }]);
  });

  it('forbids a default member to pin, watch or delete', () => {
    given([uploaded]).when({ type: 'PinDocument', actor: member, pin: true, now }).thenThrows('forbidden');
    given([uploaded]).when({ type: 'WatchDocument', actor: member, watch: true, now }).thenThrows('forbidden');
    given([uploaded]).when({ type: 'DeleteDocument', actor: member, now }).thenThrows('forbidden');
  });

  it('deletes with the stored name, so the file can be removed after', () =>
    given([uploaded, processed]).when({ type: 'DeleteDocument', actor: admin, now }).then([deleted]));

  it('knows no deleted or unknown document', () => {
    given([uploaded, deleted]).when({ type: 'DeleteDocument', actor: admin, now }).thenThrows('not_found');
    given([uploaded, deleted]).when({ type: 'PinDocument', actor: admin, pin: true, now }).thenThrows('not_found');
    given([]).when({ type: 'WatchDocument', actor: admin, watch: true, now }).thenThrows('not_found');
  });
});

describe('document decider: ingestion jobs', () => {
  it('records chunks in order and then the outcome', () => {
    given([uploaded])
      .when({ type: 'RecordChunks', ingestion: 1, from: 0, chunks: [chunk('a b', 0), chunk('b c', 2)] })
      .then([firstChunks]);
    given([uploaded, firstChunks])
      .when({ type: 'MarkProcessed', ingestion: 1, chunkCount: 2, characters: 5, contentHash: 'h1', now })
      .then([processed]);
  });

  it('skips a batch a retried job already recorded', () =>
    given([uploaded, firstChunks])
      .when({ type: 'RecordChunks', ingestion: 1, from: 0, chunks: [chunk('a b', 0), chunk('b c', 2)] })
      .then([]));

  it('records only the unrecorded tail of a batch that overlaps what is recorded', () =>
    given([uploaded, firstChunks])
      .when({ type: 'RecordChunks', ingestion: 1, from: 1, chunks: [chunk('b c', 2), chunk('c d', 4)] })
      .then([
        {
          type: 'DocumentChunksAdded',
          data: { documentId: 40, workspaceId: 9, ingestion: 1, from: 2, chunks: [chunk('c d', 4)] },
        },
      ]));

  it('refuses a gap in the chunks', () =>
    given([uploaded])
      .when({ type: 'RecordChunks', ingestion: 1, from: 2, chunks: [chunk('c', 4)] })
      .thenThrows('conflict'));

  it('refuses to mark processed with a chunk count other than the one recorded', () =>
    given([uploaded, firstChunks])
      .when({ type: 'MarkProcessed', ingestion: 1, chunkCount: 3, characters: 5, contentHash: 'h1', now })
      .thenThrows('conflict'));

  it('marks an empty document processed with no chunks', () =>
    given([uploaded])
      .when({ type: 'MarkProcessed', ingestion: 1, chunkCount: 0, characters: 0, contentHash: 'h0', now })
      .then([
        {
          type: 'DocumentProcessed',
          data: { documentId: 40, workspaceId: 9, ingestion: 1, chunkCount: 0, characters: 0, contentHash: 'h0', at },
        },
      ]));

  it('records a failure with its reason', () =>
    given([uploaded]).when({ type: 'MarkFailed', ingestion: 1, reason: 'Unreadable PDF.', now }).then([failed]));

  it('ignores a late or repeated job once its ingestion is over', () => {
    given([uploaded, firstChunks, processed])
      .when({ type: 'MarkProcessed', ingestion: 1, chunkCount: 2, characters: 5, contentHash: 'h1', now })
      .then([]);
    given([uploaded, firstChunks, processed]).when({ type: 'MarkFailed', ingestion: 1, reason: 'late', now }).then([]);
    given([uploaded, failed])
      .when({ type: 'RecordChunks', ingestion: 1, from: 0, chunks: [chunk('a', 0)] })
      .then([]);
    // A job of the first ingestion running while the second is under way records nothing.
    given([uploaded, firstChunks, processed, watched, sourceChanged])
      .when({ type: 'RecordChunks', ingestion: 1, from: 0, chunks: [chunk('a', 0)] })
      .then([]);
  });

  it('records nothing for a document deleted while its job ran', () => {
    given([uploaded, deleted])
      .when({ type: 'RecordChunks', ingestion: 1, from: 0, chunks: [chunk('a', 0)] })
      .then([]);
    given([uploaded, deleted])
      .when({ type: 'MarkProcessed', ingestion: 1, chunkCount: 0, characters: 0, contentHash: 'h', now })
      .then([]);
    given([uploaded, deleted]).when({ type: 'MarkFailed', ingestion: 1, reason: 'x', now }).then([]);
    given([uploaded, watched, deleted]).when({ type: 'RecordSourceChange', contentHash: 'h2', now }).then([]);
  });
});

describe('document decider: watched sources', () => {
  it('starts a new ingestion when a watched, finished document changed', () => {
    given([uploaded, firstChunks, processed, watched])
      .when({ type: 'RecordSourceChange', contentHash: 'h2', now })
      .then([sourceChanged]);
    // A failed ingestion is retried on the next change too.
    given([uploaded, failed, watched])
      .when({ type: 'RecordSourceChange', contentHash: 'h2', now })
      .then([
        {
          type: 'DocumentSourceChanged',
          data: { documentId: 40, workspaceId: 9, ingestion: 2, contentHash: 'h2', at },
        },
      ]);
  });

  it('does nothing for an unchanged, unwatched or still processing document', () => {
    given([uploaded, firstChunks, processed, watched])
      .when({ type: 'RecordSourceChange', contentHash: 'h1', now })
      .then([]);
    given([uploaded, firstChunks, processed]).when({ type: 'RecordSourceChange', contentHash: 'h2', now }).then([]);
    given([uploaded, watched]).when({ type: 'RecordSourceChange', contentHash: 'h2', now }).then([]);
  });

  it('numbers the chunks of the new ingestion from zero', () => {
    const second = [uploaded, firstChunks, processed, watched, sourceChanged];
    given(second)
      .when({ type: 'RecordChunks', ingestion: 2, from: 0, chunks: [chunk('new', 0)] })
      .then([
        {
          type: 'DocumentChunksAdded',
          data: { documentId: 40, workspaceId: 9, ingestion: 2, from: 0, chunks: [chunk('new', 0)] },
        },
      ]);
    given(second)
      .when({ type: 'MarkProcessed', ingestion: 2, chunkCount: 0, characters: 0, contentHash: 'h2', now })
      .then([
        {
          type: 'DocumentProcessed',
          data: { documentId: 40, workspaceId: 9, ingestion: 2, chunkCount: 0, characters: 0, contentHash: 'h2', at },
        },
      ]);
  });

  it('keeps pins and watches across ingestions', () =>
    given([uploaded, pinned, watched, firstChunks, processed, sourceChanged])
      .when({ type: 'PinDocument', actor: admin, pin: true, now })
      .then([]));
});
