import { createHash } from 'node:crypto';
import { batches, CHUNK_BATCH_BYTES, recordSourceChange } from '../../../src/commands/documents/ingestion.js';
import { handleCommand } from '../../../src/commands/shared/handle.js';
import { documentDecider } from '../../../src/domain/documents/document.js';
import type { DocumentFormat } from '../../../src/commands/documents/formats.js';
import {
  appendBytes,
  type EventStore,
  MAX_APPEND_BYTES,
  type RecordedEvent,
} from '../../../src/infra/eventstore/port.js';
import { SqliteEventStore } from '../../../src/infra/eventstore/sqlite.js';
import { FileNotFoundError } from '../../../src/infra/files/port.js';
import { SqliteReadStore } from '../../../src/infra/readstore/sqlite.js';
import { ExtractionAborted } from '../../../src/jobs/ingestion/extract.js';
import {
  INGEST_DOCUMENT,
  type IngestJobData,
  ingestDocument,
  onIngestionFailed,
} from '../../../src/jobs/ingestion/ingest-document.js';
import { SETTINGS } from '../../../src/projections/settings/projection.js';
import { commandCtx } from '../../support/context.js';
import { makeDocxBomb } from '../../support/docx-bomb.js';
import { corruptPdf, makePdf } from '../../support/fixtures.js';

/** Files kept in memory: the job only reads. */
class MemoryFiles {
  readonly bytes = new Map<string, Buffer>();
  async get(name: string): Promise<Buffer> {
    const found = this.bytes.get(name);
    if (!found) throw new FileNotFoundError(name);
    return found;
  }
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('ingestion job', () => {
  let store: SqliteEventStore;
  let db: SqliteReadStore;
  let files: MemoryFiles;
  let nextDocument = 0;

  beforeEach(() => {
    store = SqliteEventStore.open(':memory:');
    db = SqliteReadStore.open(':memory:');
    files = new MemoryFiles();
  });
  afterEach(async () => {
    await store.close();
    await db.close();
  });

  /** Given an uploaded document whose stored file holds `bytes`: the job that ingestion would get. */
  async function uploaded(bytes: Buffer, format: DocumentFormat = 'txt', filename = `notes.${format}`) {
    const documentId = ++nextDocument;
    const storedName = `${documentId}-${filename}`;
    files.bytes.set(storedName, bytes);
    const upload = {
      documentId,
      workspaceId: 7,
      filename,
      storedName,
      mimeType: 'text/plain',
      format,
      size: bytes.length,
      metadata: {},
    };
    const result = await handleCommand(
      store,
      `document-${documentId}`,
      documentDecider,
      {
        type: 'UploadDocument',
        actor: { userId: 1, role: 'admin' },
        now: new Date(),
        ...upload,
      },
      commandCtx(),
    );
    const [event] = await store.readStream(`document-${documentId}`);
    const data: IngestJobData = { documentId, workspaceId: 7, ingestion: 1, storedName, format, filename };
    expect(result.events).toHaveLength(1);
    return { id: event!.id, name: INGEST_DOCUMENT, data, attempt: 1 };
  }

  const eventsOf = (documentId: number): Promise<RecordedEvent[]> => store.readStream(`document-${documentId}`);
  const types = async (documentId: number) => (await eventsOf(documentId)).map((e) => e.type);
  const deps = () => ({ store: store as EventStore, db, files });

  it('given a text file, when ingested, then its chunks cover the text and it is processed with count, characters and hash', async () => {
    const text = Array.from({ length: 60 }, (_, i) => `Sentence number ${i} talks about the migration of geese.`).join(
      ' ',
    );
    const job = await uploaded(Buffer.from(text));
    await ingestDocument(deps(), job);

    const events = await eventsOf(job.data.documentId);
    expect(events.map((e) => e.type)).toEqual(['DocumentUploaded', 'DocumentChunksAdded', 'DocumentProcessed']);
    const chunks = events[1]!.data.chunks as { text: string; start: number }[];
    expect(chunks.length).toBeGreaterThan(2); // default chunk size 1,000 characters
    for (const chunk of chunks) expect(text.slice(chunk.start, chunk.start + chunk.text.length)).toBe(chunk.text);
    expect(events[2]!.data).toMatchObject({
      ingestion: 1,
      chunkCount: chunks.length,
      characters: text.length,
      contentHash: sha256(Buffer.from(text)),
    });
    expect(events.slice(1).every((e) => e.metadata.actorType === 'system' && e.metadata.actorId === null)).toBe(true);
    expect(events.slice(1).every((e) => e.metadata.correlationId === job.id)).toBe(true);
  });

  it('given the settings read model, when ingested, then chunks follow text_splitter_chunk_size', async () => {
    await db
      .collection(SETTINGS)
      .insertOne({ _id: 'text_splitter_chunk_size', label: 'text_splitter_chunk_size', value: 200 });
    await db
      .collection(SETTINGS)
      .insertOne({ _id: 'text_splitter_chunk_overlap', label: 'text_splitter_chunk_overlap', value: 0 });
    const text = 'word '.repeat(2000).trim();
    const job = await uploaded(Buffer.from(text));
    await ingestDocument(deps(), job);
    const [, added] = await eventsOf(job.data.documentId);
    const chunks = added!.data.chunks as { text: string }[];
    expect(Math.max(...chunks.map((c) => c.text.length))).toBeLessThanOrEqual(200);
    expect(chunks.length).toBeGreaterThanOrEqual(50);
  });

  it('given a job that already ran, when it runs again (a retry or a redelivery), then nothing is appended', async () => {
    const job = await uploaded(Buffer.from('A short note about herons.'));
    await ingestDocument(deps(), job);
    const head = await store.headPosition();
    await ingestDocument(deps(), { ...job, attempt: 2 });
    expect(await store.headPosition()).toBe(head);
  });

  it('given more than a megabyte of text, then chunks go in batches of at most CHUNK_BATCH_BYTES, and a retry after a crash mid-way adds only the rest', async () => {
    const paragraph = 'The lighthouse keeper wrote down every ship that passed the northern cape that winter. ';
    const text = paragraph.repeat(Math.ceil(2_600_000 / paragraph.length));
    const job = await uploaded(Buffer.from(text));

    // The second batch's append dies once, as if the process were killed there.
    const append = store.appendToStream.bind(store);
    let chunkAppends = 0;
    const spy = jest.spyOn(store, 'appendToStream').mockImplementation(async (stream, events, expected) => {
      if (events[0]?.type === 'DocumentChunksAdded' && ++chunkAppends === 2) throw new Error('killed');
      return append(stream, events, expected);
    });
    await expect(ingestDocument(deps(), job)).rejects.toThrow('killed');
    expect(await types(job.data.documentId)).toEqual(['DocumentUploaded', 'DocumentChunksAdded']);
    spy.mockRestore();

    await ingestDocument(deps(), { ...job, attempt: 2 });
    const events = await eventsOf(job.data.documentId);
    const added = events.filter((e) => e.type === 'DocumentChunksAdded');
    expect(added.length).toBe(batches(added.flatMap((e) => e.data.chunks)).length);
    expect(added.length).toBeGreaterThan(2);
    for (const event of added)
      expect(Buffer.byteLength(JSON.stringify(event.data.chunks))).toBeLessThanOrEqual(CHUNK_BATCH_BYTES);
    const froms = added.map((e) => e.data.from as number);
    const total = added.reduce((n, e) => n + e.data.chunks.length, 0);
    expect(froms[0]).toBe(0);
    expect(froms[1]).toBe(added[0]!.data.chunks.length);
    expect(events.at(-1)).toMatchObject({ type: 'DocumentProcessed', data: { chunkCount: total } });
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it("given a corrupt PDF, then the document fails at once with a public reason (no retry needed), the library's words going to the log only", async () => {
    const job = await uploaded(corruptPdf(), 'pdf');
    const logged: [unknown, string][] = [];
    await ingestDocument({ ...deps(), log: (err, what) => logged.push([err, what]) }, job);
    const last = (await eventsOf(job.data.documentId)).at(-1)!;
    expect(last.type).toBe('DocumentFailed');
    expect(last.data.reason).toBe('Could not extract text from this PDF.');
    expect(logged).toHaveLength(1);
    expect(String((logged[0]![0] as Error).message)).toMatch(/^Could not read PDF: .+/);
  });

  it('given a JSON file that does not parse, then the reason names no parser message', async () => {
    const job = await uploaded(Buffer.from('{"a": [1, 2,'), 'json');
    await ingestDocument(deps(), job);
    expect((await eventsOf(job.data.documentId)).at(-1)!.data.reason).toBe(
      'Could not extract text from this JSON file: it is not valid JSON.',
    );
  });

  it('given a file with no text, then the reason says so', async () => {
    const job = await uploaded(Buffer.from(' \n\t '), 'txt');
    await ingestDocument(deps(), job);
    expect((await eventsOf(job.data.documentId)).at(-1)!.data.reason).toBe(
      'The TXT file contains no extractable text.',
    );
  });

  it('given a real PDF, then its text is extracted into chunks', async () => {
    const job = await uploaded(await makePdf('the heron counts seventeen lanterns'), 'pdf');
    await ingestDocument(deps(), job);
    const events = await eventsOf(job.data.documentId);
    expect(events.at(-1)!.type).toBe('DocumentProcessed');
    expect(events[1]!.data.chunks.map((c: { text: string }) => c.text).join(' ')).toContain(
      'the heron counts seventeen lanterns',
    );
  }, 60_000);

  it('given a stored file that is gone, then the document fails saying so', async () => {
    const job = await uploaded(Buffer.from('text'));
    files.bytes.clear();
    await ingestDocument(deps(), job);
    expect((await eventsOf(job.data.documentId)).at(-1)!.data.reason).toBe('The stored file is missing.');
  });

  it('given a file store that errors, then the job throws (the queue retries) and records nothing', async () => {
    const job = await uploaded(Buffer.from('text'));
    const flaky = {
      get: async () => {
        throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
      },
    };
    await expect(ingestDocument({ store, db, files: flaky }, job)).rejects.toThrow('EIO');
    expect(await types(job.data.documentId)).toEqual(['DocumentUploaded']);
  });

  it('given a job out of attempts, then onFailed marks the document failed with a public reason, once, and logs the last error', async () => {
    const job = await uploaded(Buffer.from('text'));
    const failure = {
      id: job.id,
      name: INGEST_DOCUMENT,
      data: job.data,
      error: "EACCES: permission denied, open '/srv/chronicle/data/files/1-notes.txt'",
      attempts: 3,
    };
    const logged: string[] = [];
    const log = (err: unknown) => logged.push(String(err));
    await onIngestionFailed(store, failure, log);
    await onIngestionFailed(store, failure, log);
    const events = await eventsOf(job.data.documentId);
    expect(events.map((e) => e.type)).toEqual(['DocumentUploaded', 'DocumentFailed']);
    expect(events[1]!.data.reason).toBe('The document could not be processed (3 attempts). Please upload it again.');
    expect(JSON.stringify(events[1]!.data)).not.toContain('EACCES');
    expect(logged[0]).toContain("EACCES: permission denied, open '/srv/chronicle/data/files/1-notes.txt'");
  });

  it('given a job of an ingestion that a newer one replaced, then it changes nothing', async () => {
    const job = await uploaded(Buffer.from('first version'));
    await ingestDocument(deps(), job);
    await handleCommand(
      store,
      `document-${job.data.documentId}`,
      documentDecider,
      {
        type: 'WatchDocument',
        actor: { userId: 1, role: 'admin' },
        watch: true,
        now: new Date(),
      },
      commandCtx(),
    );
    files.bytes.set(job.data.storedName, Buffer.from('second version'));
    const changed = await recordSourceChange(
      store,
      job.data.documentId,
      1,
      sha256(Buffer.from('second version')),
      new Date(),
    );
    expect(changed.events.map((e) => e.type)).toEqual(['DocumentSourceChanged']);
    const head = await store.headPosition();
    await ingestDocument(deps(), { ...job, attempt: 2 }); // the first ingestion's job, late
    expect(await store.headPosition()).toBe(head);

    await ingestDocument(deps(), { ...job, id: 'second', data: { ...job.data, ingestion: 2 } });
    const last = (await eventsOf(job.data.documentId)).at(-1)!;
    expect(last.data).toMatchObject({ ingestion: 2, contentHash: sha256(Buffer.from('second version')) });
  });

  it('given a deleted document, then its job does nothing', async () => {
    const job = await uploaded(Buffer.from('text'));
    await handleCommand(
      store,
      `document-${job.data.documentId}`,
      documentDecider,
      {
        type: 'DeleteDocument',
        actor: { userId: 1, role: 'admin' },
        now: new Date(),
      },
      commandCtx(),
    );
    const head = await store.headPosition();
    await ingestDocument(deps(), job);
    expect(await store.headPosition()).toBe(head);
  });

  it('given a document deleted while its text is being extracted, then the extraction is stopped and nothing more is appended', async () => {
    const job = await uploaded(Buffer.from('text'));
    let extracting!: () => void;
    const started = new Promise<void>((resolve) => (extracting = resolve));
    let aborted = false;
    // An extraction that runs until it is told to stop, as a worker reading a huge file would.
    const extract = (
      _format: DocumentFormat,
      _bytes: Buffer,
      _options: unknown,
      budget: { signal?: AbortSignal } = {},
    ) =>
      new Promise<never>((_resolve, reject) => {
        extracting();
        budget.signal!.addEventListener('abort', () => {
          aborted = true;
          reject(new ExtractionAborted());
        });
      });
    const running = ingestDocument({ ...deps(), extract, cancelCheckMs: 10 }, job);
    await started;
    await handleCommand(
      store,
      `document-${job.data.documentId}`,
      documentDecider,
      {
        type: 'DeleteDocument',
        actor: { userId: 1, role: 'admin' },
        now: new Date(),
      },
      commandCtx(),
    );
    const head = await store.headPosition();

    await running;
    expect(aborted).toBe(true);
    expect(await store.headPosition()).toBe(head);
    expect(await types(job.data.documentId)).toEqual(['DocumentUploaded', 'DocumentDeleted']);
  });

  it.each([
    ['Cyrillic', 'Мороз и солнце; день чудесный! Ещё ты дремлешь, друг прелестный. '],
    ['CJK', '春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。'],
  ])(
    'given 3 MB of %s text, when ingested on the embedded store, then it is processed and no stored event passes MAX_APPEND_BYTES',
    async (_script, line) => {
      const text = line.repeat(Math.ceil((3 * 1024 * 1024) / Buffer.byteLength(line)));
      const job = await uploaded(Buffer.from(text));
      await ingestDocument(deps(), job);

      const events = await eventsOf(job.data.documentId);
      expect(events.at(-1)).toMatchObject({ type: 'DocumentProcessed', data: { characters: text.trim().length } });
      for (const event of events) expect(appendBytes([event])).toBeLessThanOrEqual(MAX_APPEND_BYTES);
      const chunks = events
        .filter((e) => e.type === 'DocumentChunksAdded')
        .flatMap((e) => e.data.chunks as { text: string }[]);
      expect(chunks.map((c) => c.text).join('').length).toBeGreaterThanOrEqual(text.trim().length);
    },
  );

  it('given the smallest chunk size (100), when 3 MB of CJK text is ingested, then every batch stays under the limit', async () => {
    await db
      .collection(SETTINGS)
      .insertOne({ _id: 'text_splitter_chunk_size', label: 'text_splitter_chunk_size', value: 100 });
    await db
      .collection(SETTINGS)
      .insertOne({ _id: 'text_splitter_chunk_overlap', label: 'text_splitter_chunk_overlap', value: 0 });
    const line = '春眠不觉晓，处处闻啼鸟。';
    const job = await uploaded(Buffer.from(line.repeat(Math.ceil((3 * 1024 * 1024) / Buffer.byteLength(line)))));
    await ingestDocument(deps(), job);

    const events = await eventsOf(job.data.documentId);
    expect(events.at(-1)!.type).toBe('DocumentProcessed');
    for (const event of events) expect(appendBytes([event])).toBeLessThanOrEqual(MAX_APPEND_BYTES);
  });

  it('given the DOCX bomb, when ingested, then the document ends failed with a reason naming the limit', async () => {
    const job = await uploaded(makeDocxBomb(), 'docx');
    await ingestDocument(deps(), job);
    const events = await eventsOf(job.data.documentId);
    expect(events.map((e) => e.type)).toEqual(['DocumentUploaded', 'DocumentFailed']);
    expect(events[1]!.data.reason).toMatch(
      /^Could not extract text from this DOCX file: it holds more than [\d,]+ XML elements\.$/,
    );
  });
});

describe('chunk batches', () => {
  const chunk = (n: number) => ({ text: 'x'.repeat(n), start: 0 });
  const bytes = (n: number) => Buffer.byteLength(JSON.stringify(chunk(n))) + 1;

  it('counts serialized UTF-8 bytes, not characters: what fits three ASCII chunks fits one chunk of three-byte characters', () => {
    const cjk = { text: '字'.repeat(100), start: 0 }; // 100 characters, 300 bytes of text
    const ascii = { text: 'x'.repeat(100), start: 0 };
    const limit = 3 * (Buffer.byteLength(JSON.stringify(ascii)) + 1);
    expect(batches([ascii, ascii, ascii], limit)).toHaveLength(1);
    expect(batches([cjk, cjk, cjk], limit)).toHaveLength(3);
  });

  it('cuts before the chunk that would pass the limit, numbering each batch by its first chunk', () => {
    expect(batches([chunk(4), chunk(4), chunk(4)], 2 * bytes(4)).map((b) => [b.from, b.chunks.length])).toEqual([
      [0, 2],
      [2, 1],
    ]);
  });

  it('sends a chunk larger than the limit alone, and nothing for no chunks', () => {
    expect(
      batches([chunk(2), chunk(20), chunk(2)], bytes(2) + bytes(2) - 1).map((b) => [b.from, b.chunks.length]),
    ).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
    expect(batches([], 8)).toEqual([]);
  });
});
