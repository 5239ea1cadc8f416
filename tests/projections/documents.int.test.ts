/**
 * The documents read models (documents, document_chunks) and what documents change elsewhere (the
 * workspace's document_count, the event log), driven by real commands through the decider into an
 * embedded event store, projected by the real runner.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deleteDocument, documentStream, pinDocument, uploadDocument } from '../../src/commands/documents/documents.js';
import { handleCommand } from '../../src/commands/shared/handle.js';
import { createWorkspace, deleteWorkspace } from '../../src/commands/workspaces/workspaces.js';
import { type DocumentCommand, documentDecider } from '../../src/domain/documents/document.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { LocalFileStore } from '../../src/infra/files/local.js';
import { MemoryPubSub } from '../../src/infra/pubsub/memory.js';
import type { ReadStore } from '../../src/infra/readstore/port.js';
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import { ALL_PROJECTIONS } from '../../src/projections/all.js';
import { DOCUMENT_CHUNKS, DOCUMENTS } from '../../src/projections/documents/projection.js';
import { chunksOfDocument, findDocument, publicDocument } from '../../src/projections/documents/queries.js';
import { EVENT_LOGS } from '../../src/projections/event-logs/projection.js';
import { rebuildReadModels } from '../../src/projections/replay.js';
import { ProjectionProgress } from '../../src/projections/shared/progress.js';
import { projectionApplier, ProjectionRunner } from '../../src/projections/shared/runner.js';
import { findWorkspaceById } from '../../src/projections/workspaces/queries.js';
import { admin, commandCtx } from '../support/context.js';

describe('documents read models', () => {
  let store: SqliteEventStore;
  let db: SqliteReadStore;
  let runner: ProjectionRunner;
  let progress: ProjectionProgress;
  let filesDir: string;
  let files: LocalFileStore;
  let workspaceId: number;

  const job = (documentId: number, command: DocumentCommand) =>
    handleCommand(store, documentStream(documentId), documentDecider, command, commandCtx());
  const settledTo = async (position: number) => expect(await progress.waitFor(position)).toBe(true);
  const chunk = (text: string, start: number) => ({ text, start });

  async function upload(name = 'notes.md', text = '# Notes\nalpha beta gamma') {
    const { documentId, position } = await uploadDocument(
      { store, files },
      {
        fields: { workspace_id: String(workspaceId), metadata: '{"source":"manual_upload"}' },
        file: { name, bytes: Buffer.from(text) },
      },
      commandCtx(admin),
    );
    await settledTo(position);
    return documentId;
  }

  async function dump(database: ReadStore) {
    const out: Record<string, unknown[]> = {};
    for (const name of [DOCUMENTS, DOCUMENT_CHUNKS, 'workspaces'])
      out[name] = await database.collection(name).find({}, { sort: { _id: 1 } });
    return out;
  }

  beforeEach(async () => {
    store = SqliteEventStore.open(':memory:');
    db = SqliteReadStore.open(':memory:');
    filesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-docs-'));
    files = new LocalFileStore(filesDir);
    progress = new ProjectionProgress();
    runner = new ProjectionRunner(store, db, ALL_PROJECTIONS, progress, new MemoryPubSub(), (err) => {
      throw err;
    });
    await runner.start();
    const created = await createWorkspace(store, { name: 'Docs' }, commandCtx(admin));
    workspaceId = created.workspaceId;
    await settledTo(created.position);
  });

  afterEach(async () => {
    await runner.stop();
    await store.close();
    await db.close();
    fs.rmSync(filesDir, { recursive: true, force: true });
  });

  it('given an upload, then the document is processing with its stored file, and the workspace counts it', async () => {
    const id = await upload('Q3 report (final).md');
    const doc = await findDocument(db, admin, id);
    expect(doc).toMatchObject({
      _id: String(id),
      id,
      filename: 'Q3 report (final).md',
      workspaceId,
      status: 'processing',
      pinned: false,
      watched: false,
      metadata: { source: 'manual_upload' },
      size: 24,
      mimeType: 'text/markdown',
      format: 'md',
      storedName: `${id}-Q3 report (final).md`,
      chunkCount: 0,
      characters: 0,
      contentHash: null,
      ingestion: 1,
      error: null,
    });
    expect(doc!.createdAt).toBe(doc!.updatedAt);
    expect(await files.exists(doc!.storedName)).toBe(true);
    expect(publicDocument(doc!)).toEqual({
      id,
      filename: 'Q3 report (final).md',
      workspace: workspaceId,
      status: 'processing',
      pinned: false,
      watched: false,
      metadata: { source: 'manual_upload' },
      size: 24,
      mime_type: 'text/markdown',
      chunk_count: 0,
      created_at: doc!.createdAt,
    });
    expect((await findWorkspaceById(db, admin, workspaceId))?.document_count).toBe(1);
  });

  it('given chunks and the outcome of a job, then the chunks are stored in order and the document is ready', async () => {
    const id = await upload();
    await job(id, {
      type: 'RecordChunks',
      ingestion: 1,
      from: 0,
      chunks: [chunk('# Notes', 0), chunk('alpha beta', 8)],
    });
    await job(id, { type: 'RecordChunks', ingestion: 1, from: 2, chunks: [chunk('beta gamma', 14)] });
    const { position } = await job(id, {
      type: 'MarkProcessed',
      ingestion: 1,
      chunkCount: 3,
      characters: 24,
      contentHash: 'h1',
      now: new Date(),
    });
    await settledTo(position);

    expect(await findDocument(db, admin, id)).toMatchObject({
      status: 'ready',
      chunkCount: 3,
      characters: 24,
      contentHash: 'h1',
      error: null,
    });
    expect(await chunksOfDocument(db, id)).toEqual([
      {
        _id: `${id}:0`,
        _pos: expect.any(Number),
        documentId: id,
        workspaceId,
        ingestion: 1,
        index: 0,
        text: '# Notes',
        start: 0,
        filename: 'notes.md',
      },
      {
        _id: `${id}:1`,
        _pos: expect.any(Number),
        documentId: id,
        workspaceId,
        ingestion: 1,
        index: 1,
        text: 'alpha beta',
        start: 8,
        filename: 'notes.md',
      },
      {
        _id: `${id}:2`,
        _pos: expect.any(Number),
        documentId: id,
        workspaceId,
        ingestion: 1,
        index: 2,
        text: 'beta gamma',
        start: 14,
        filename: 'notes.md',
      },
    ]);
  });

  it('keeps chunk texts out of the event log: only their count is recorded', async () => {
    const id = await upload();
    const { position } = await job(id, {
      type: 'RecordChunks',
      ingestion: 1,
      from: 0,
      chunks: [chunk('secret-ish text', 0), chunk('more', 15)],
    });
    await settledTo(position);
    const [entry] = await db.collection(EVENT_LOGS).find({ type: 'DocumentChunksAdded' });
    expect(entry).toMatchObject({
      event: 'document_chunks_added',
      metadata: { document_id: id, ingestion: 1, from: 0, chunk_count: 2 },
    });
    expect(JSON.stringify(entry)).not.toContain('secret-ish');
    const [uploaded] = await db.collection(EVENT_LOGS).find({ type: 'DocumentUploaded' });
    expect(uploaded).toMatchObject({
      event: 'document_uploaded',
      user_id: admin.userId,
      metadata: { document_id: id, workspace_id: workspaceId, filename: 'notes.md' },
    });
  });

  it('records a failure with its error, and a changed watched source sends the document back to processing', async () => {
    const id = await upload();
    let { position } = await job(id, { type: 'MarkFailed', ingestion: 1, reason: 'Unreadable file.', now: new Date() });
    await settledTo(position);
    const failed = await findDocument(db, admin, id);
    expect(failed).toMatchObject({ status: 'failed', error: 'Unreadable file.' });
    expect(publicDocument(failed!)).toMatchObject({ status: 'failed', error: 'Unreadable file.' });

    await job(id, { type: 'WatchDocument', actor: admin, watch: true, now: new Date() });
    ({ position } = await job(id, { type: 'RecordSourceChange', contentHash: 'h2', now: new Date() }));
    await settledTo(position);
    expect(await findDocument(db, admin, id)).toMatchObject({
      status: 'processing',
      error: null,
      ingestion: 2,
      watched: true,
    });
  });

  it('replaces the chunks of an earlier ingestion once the new one records its first, even when it has fewer', async () => {
    const id = await upload();
    await job(id, {
      type: 'RecordChunks',
      ingestion: 1,
      from: 0,
      chunks: [chunk('one', 0), chunk('two', 4), chunk('three', 8)],
    });
    await job(id, {
      type: 'MarkProcessed',
      ingestion: 1,
      chunkCount: 3,
      characters: 13,
      contentHash: 'h1',
      now: new Date(),
    });
    await job(id, { type: 'WatchDocument', actor: admin, watch: true, now: new Date() });
    await job(id, { type: 'RecordSourceChange', contentHash: 'h2', now: new Date() });
    let { position } = await job(id, { type: 'RecordChunks', ingestion: 2, from: 0, chunks: [chunk('uno', 0)] });
    await settledTo(position);
    expect((await chunksOfDocument(db, id)).map((c) => [c.ingestion, c.index, c.text])).toEqual([[2, 0, 'uno']]);

    // A new ingestion with no text at all still drops the old chunks when it ends.
    await job(id, {
      type: 'MarkProcessed',
      ingestion: 2,
      chunkCount: 1,
      characters: 3,
      contentHash: 'h2',
      now: new Date(),
    });
    await job(id, { type: 'RecordSourceChange', contentHash: 'h3', now: new Date() });
    ({ position } = await job(id, {
      type: 'MarkProcessed',
      ingestion: 3,
      chunkCount: 0,
      characters: 0,
      contentHash: 'h3',
      now: new Date(),
    }));
    await settledTo(position);
    expect(await chunksOfDocument(db, id)).toEqual([]);
    expect(await findDocument(db, admin, id)).toMatchObject({ status: 'ready', chunkCount: 0, ingestion: 3 });
  });

  it('given a deletion, then the document and its chunks leave and the workspace stops counting it', async () => {
    const kept = await upload('kept.txt');
    const gone = await upload('gone.txt');
    await job(kept, { type: 'RecordChunks', ingestion: 1, from: 0, chunks: [chunk('kept', 0)] });
    await job(gone, { type: 'RecordChunks', ingestion: 1, from: 0, chunks: [chunk('gone', 0)] });
    const { position } = await deleteDocument({ store, files }, gone, commandCtx(admin));
    await settledTo(position);
    expect(await findDocument(db, admin, gone)).toBeNull();
    expect(await chunksOfDocument(db, gone)).toEqual([]);
    expect(await chunksOfDocument(db, kept)).toHaveLength(1);
    // The stored file is the file-cleanup reactor's to remove (tests/jobs/file-cleanup-reactor.int.test.ts).
    expect((await findWorkspaceById(db, admin, workspaceId))?.document_count).toBe(1);
  });

  it('given a deleted workspace, then its documents and chunks leave the read models', async () => {
    const id = await upload();
    await job(id, { type: 'RecordChunks', ingestion: 1, from: 0, chunks: [chunk('x', 0)] });
    const { position } = await deleteWorkspace(store, 'docs', commandCtx(admin));
    await settledTo(position);
    expect(await db.collection(DOCUMENTS).count({})).toBe(0);
    expect(await db.collection(DOCUMENT_CHUNKS).count({})).toBe(0);
  });

  it('shows a default user only the documents of workspaces they belong to', async () => {
    const id = await upload();
    const outsider = { type: 'user' as const, userId: 77, role: 'default' as const };
    expect(await findDocument(db, outsider, id)).toBeNull();
  });

  it('changes nothing when events are delivered again, and a replay rebuilds the same read models', async () => {
    const id = await upload();
    await job(id, { type: 'RecordChunks', ingestion: 1, from: 0, chunks: [chunk('a', 0), chunk('b', 1)] });
    await job(id, {
      type: 'MarkProcessed',
      ingestion: 1,
      chunkCount: 2,
      characters: 2,
      contentHash: 'h',
      now: new Date(),
    });
    await pinDocument(store, id, { pin: true }, commandCtx(admin));
    const other = await upload('other.txt');
    const { position } = await deleteDocument({ store, files }, other, commandCtx(admin));
    await settledTo(position);
    const before = await dump(db);

    await projectionApplier(ALL_PROJECTIONS)(await store.readAll({ after: 0 }), db);
    expect(await dump(db)).toEqual(before);

    await runner.stop();
    await rebuildReadModels(store, db, ALL_PROJECTIONS, () => {});
    expect(await dump(db)).toEqual(before);
  });
});
