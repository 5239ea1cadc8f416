import { createHash, randomUUID } from 'node:crypto';
import { handleCommand } from '../../../src/commands/shared/handle.js';
import { documentDecider } from '../../../src/domain/documents/document.js';
import { SqliteEventStore } from '../../../src/infra/eventstore/sqlite.js';
import { FileNotFoundError } from '../../../src/infra/files/port.js';
import { BullMqJobQueue } from '../../../src/infra/queue/bullmq.js';
import { InlineJobQueue } from '../../../src/infra/queue/inline.js';
import type { Job } from '../../../src/infra/queue/port.js';
import { SqliteReadStore } from '../../../src/infra/readstore/sqlite.js';
import { INGEST_DOCUMENT, type IngestJobData, ingestDocument } from '../../../src/jobs/ingestion/ingest-document.js';
import { enqueueIngestion, ingestionReactor, resumeUnfinished } from '../../../src/jobs/ingestion/reactor.js';
import { syncWatchedDocuments } from '../../../src/jobs/ingestion/watch-sources.js';
import { documentsProjection } from '../../../src/projections/documents/projection.js';
import { projectionApplier } from '../../../src/projections/shared/runner.js';
import { eventually } from '../../infra/queue.contract.js';
import { commandCtx } from '../../support/context.js';

const admin = { userId: 1, role: 'admin' as const };
const retry = { attempts: 3, backoffMs: 10 };
/** Set by tests/setup/global-setup.ts (a throwaway redis-server) unless given from outside. */
function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: tests/setup/global-setup.ts should have started redis-server');
  return url;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('ingestion reactor, resumption and watched sources', () => {
  let store: SqliteEventStore;
  let db: SqliteReadStore;
  let queue: InlineJobQueue;
  let jobs: Job[];
  const files = new Map<string, Buffer>();
  const fileStore = {
    get: async (name: string) => {
      const bytes = files.get(name);
      if (!bytes) throw new FileNotFoundError(name);
      return bytes;
    },
  };

  beforeEach(async () => {
    store = SqliteEventStore.open(':memory:');
    db = SqliteReadStore.open(':memory:');
    queue = new InlineJobQueue();
    jobs = [];
    files.clear();
    await queue.process(INGEST_DOCUMENT, async (job) => void jobs.push(job));
  });
  afterEach(async () => {
    await queue.close();
    await store.close();
    await db.close();
  });

  async function upload(documentId: number, text: string) {
    const storedName = `${documentId}-notes.txt`;
    files.set(storedName, Buffer.from(text));
    await handleCommand(
      store,
      `document-${documentId}`,
      documentDecider,
      {
        type: 'UploadDocument',
        actor: admin,
        now: new Date(),
        documentId,
        workspaceId: 3,
        filename: 'notes.txt',
        storedName,
        mimeType: 'text/plain',
        format: 'txt',
        size: text.length,
        metadata: {},
      },
      commandCtx(),
    );
  }

  /** The documents read model, projected from the whole log. */
  async function project() {
    for (const name of documentsProjection.collections) await db.drop(name);
    await projectionApplier([documentsProjection])(await store.readAll(), db);
  }

  it('given uploads, then one job each with the event id as job id; a restarted reactor enqueues none again', async () => {
    await upload(1, 'one');
    await upload(2, 'two');
    const reactor = ingestionReactor(store, db.collection('checkpoints'), queue, retry, (err) => {
      throw err;
    });
    await reactor.start();
    await eventually(
      () => jobs.length >= 2,
      () => JSON.stringify(jobs),
    );
    const uploads = (await store.readAll()).filter((e) => e.type === 'DocumentUploaded');
    expect(jobs.map((j) => j.id)).toEqual(uploads.map((e) => e.id));
    expect(jobs[0]!.data).toEqual({
      documentId: 1,
      workspaceId: 3,
      ingestion: 1,
      storedName: '1-notes.txt',
      format: 'txt',
      filename: 'notes.txt',
    });
    await reactor.stop();

    // A fresh queue (as after a restart of an embedded server) and a fresh reactor from the stored checkpoint.
    await queue.close();
    queue = new InlineJobQueue();
    const after: Job[] = [];
    await queue.process(INGEST_DOCUMENT, async (job) => void after.push(job));
    const again = ingestionReactor(store, db.collection('checkpoints'), queue, retry, (err) => {
      throw err;
    });
    await again.start();
    await upload(3, 'three');
    await eventually(
      () => after.length >= 1,
      () => 'no job for the third upload',
    );
    await again.stop();
    expect(after.map((j) => (j.data as { documentId: number }).documentId)).toEqual([3]);
  });

  it('given a job lost with the process, then resumeUnfinished enqueues it again under the same id, and finished ones not', async () => {
    await upload(1, 'finished');
    await upload(2, 'lost in the crash');
    await ingestDocument(
      { store, db, files: fileStore },
      {
        id: 'job-1',
        name: INGEST_DOCUMENT,
        attempt: 1,
        data: {
          documentId: 1,
          workspaceId: 3,
          ingestion: 1,
          storedName: '1-notes.txt',
          format: 'txt',
          filename: 'notes.txt',
        },
      },
    );
    await project();
    expect(await resumeUnfinished(store, db, queue, retry)).toBe(1);
    await eventually(
      () => jobs.length >= 1,
      () => 'not resumed',
    );
    const [, second] = (await store.readAll()).filter((e) => e.type === 'DocumentUploaded');
    expect(jobs.map((j) => j.id)).toEqual([second!.id]);
  });

  it('given a document whose BullMQ job failed its last attempt in a process that died before marking it, then after a restart resumeUnfinished brings it to ready', async () => {
    const prefix = `test-resume-${randomUUID()}`;
    await upload(1, 'the harbour master counted the boats');
    const [uploadedEvent] = await store.readStream('document-1');

    // Before the crash: the job's only attempt fails, and nobody hears of it (the process dies).
    const before = await BullMqJobQueue.connect(redisUrl(), { prefix });
    let failedAttempts = 0;
    await before.process(INGEST_DOCUMENT, async () => {
      failedAttempts++;
      throw new Error('worker lost its disk');
    });
    await enqueueIngestion(store, before, uploadedEvent!, { attempts: 1, backoffMs: 10 });
    await eventually(
      () => failedAttempts >= 1,
      () => 'the job did not run',
    );
    await before.close();
    await project();
    expect(await db.collection('documents').find({ status: 'processing' })).toHaveLength(1);

    // After the restart: the same id is failed in Redis; resuming must not be stopped by it.
    const after = await BullMqJobQueue.connect(redisUrl(), { prefix });
    try {
      await after.process(INGEST_DOCUMENT, (job) =>
        ingestDocument({ store, db, files: fileStore }, job as Job<IngestJobData>),
      );
      expect(await resumeUnfinished(store, db, after, retry)).toBe(1);
      const deadline = Date.now() + 15_000;
      let last = (await store.readStream('document-1')).at(-1)?.type;
      while (last !== 'DocumentProcessed' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        last = (await store.readStream('document-1')).at(-1)?.type;
      }
      expect(last).toBe('DocumentProcessed');
    } finally {
      await after.close();
    }
  });

  it('given a watched document whose stored file changed, then the sync records a source change once, and the reactor enqueues a re-ingestion', async () => {
    await upload(1, 'version one');
    await handleCommand(
      store,
      'document-1',
      documentDecider,
      { type: 'WatchDocument', actor: admin, watch: true, now: new Date() },
      commandCtx(),
    );
    await upload(2, 'not watched');
    for (const [id, text] of [
      [1, 'version one'],
      [2, 'not watched'],
    ] as const) {
      await ingestDocument(
        { store, db, files: fileStore },
        {
          id: `job-${id}`,
          name: INGEST_DOCUMENT,
          attempt: 1,
          data: {
            documentId: id,
            workspaceId: 3,
            ingestion: 1,
            storedName: `${id}-notes.txt`,
            format: 'txt',
            filename: 'notes.txt',
          },
        },
      );
      expect(text).toBeTruthy();
    }
    await project();
    expect(await syncWatchedDocuments({ store, db, files: fileStore })).toEqual([]);

    files.set('1-notes.txt', Buffer.from('version two'));
    files.set('2-notes.txt', Buffer.from('changed but not watched'));
    expect(await syncWatchedDocuments({ store, db, files: fileStore })).toEqual([1]);
    expect(await syncWatchedDocuments({ store, db, files: fileStore })).toEqual([]); // the decider: already under way
    const changes = (await store.readStream('document-1')).filter((e) => e.type === 'DocumentSourceChanged');
    expect(changes.map((e) => e.data)).toEqual([
      expect.objectContaining({ ingestion: 2, contentHash: sha256('version two') }),
    ]);
    expect(changes[0]!.metadata.actorType).toBe('system');

    const reactor = ingestionReactor(store, db.collection('checkpoints'), queue, retry, (err) => {
      throw err;
    });
    await reactor.start();
    await eventually(
      () => jobs.length >= 3,
      () => JSON.stringify(jobs),
    );
    await reactor.stop();
    expect(jobs.at(-1)).toMatchObject({
      id: changes[0]!.id,
      data: { documentId: 1, ingestion: 2, storedName: '1-notes.txt', format: 'txt' },
    });
  });

  it('given a watched document that failed, then an unchanged source is not re-ingested every interval, a changed one is', async () => {
    await upload(1, '');
    files.set('1-notes.txt', Buffer.from('   ')); // no text: the ingestion fails
    await handleCommand(
      store,
      'document-1',
      documentDecider,
      { type: 'WatchDocument', actor: admin, watch: true, now: new Date() },
      commandCtx(),
    );
    await ingestDocument(
      { store, db, files: fileStore },
      {
        id: 'job-1',
        name: INGEST_DOCUMENT,
        attempt: 1,
        data: {
          documentId: 1,
          workspaceId: 3,
          ingestion: 1,
          storedName: '1-notes.txt',
          format: 'txt',
          filename: 'notes.txt',
        },
      },
    );
    await project();
    expect((await db.collection('documents').findOne({ _id: '1' }))!.status).toBe('failed');
    expect(await syncWatchedDocuments({ store, db, files: fileStore })).toEqual([]);
    expect(await syncWatchedDocuments({ store, db, files: fileStore })).toEqual([]);
    files.set('1-notes.txt', Buffer.from('now with words'));
    expect(await syncWatchedDocuments({ store, db, files: fileStore })).toEqual([1]);
  });
});
