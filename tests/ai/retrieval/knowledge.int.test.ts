import { OpenAIEmbedder } from '../../../src/ai/retrieval/embeddings.js';
import { CHUNK_EMBEDDINGS, joinChunks, KnowledgeService } from '../../../src/ai/retrieval/knowledge.js';
import { handleCommand } from '../../../src/commands/shared/handle.js';
import { documentDecider } from '../../../src/domain/documents/document.js';
import { SqliteEventStore } from '../../../src/infra/eventstore/sqlite.js';
import { FileNotFoundError } from '../../../src/infra/files/port.js';
import { MemoryPubSub } from '../../../src/infra/pubsub/memory.js';
import { SqliteReadStore } from '../../../src/infra/readstore/sqlite.js';
import { splitSpans } from '../../../src/jobs/ingestion/chunk.js';
import { INGEST_DOCUMENT, ingestDocument } from '../../../src/jobs/ingestion/ingest-document.js';
import { recordSourceChange, contentHashOf } from '../../../src/commands/documents/ingestion.js';
import { documentsProjection } from '../../../src/projections/documents/projection.js';
import { settingsProjection } from '../../../src/projections/settings/projection.js';
import { ProjectionProgress } from '../../../src/projections/shared/progress.js';
import { ProjectionRunner } from '../../../src/projections/shared/runner.js';
import { commandCtx } from '../../support/context.js';
import { type EmbeddingsServer, startEmbeddingsServer } from '../../support/embeddings-server.js';

const admin = { userId: 1, role: 'admin' as const };
const WS = 5;
const options = { topN: 4, threshold: 0.25 };

describe('KnowledgeService', () => {
  let store: SqliteEventStore;
  let db: SqliteReadStore;
  let pubsub: MemoryPubSub;
  let progress: ProjectionProgress;
  let runner: ProjectionRunner;
  let services: KnowledgeService[];
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
    pubsub = new MemoryPubSub();
    progress = new ProjectionProgress();
    runner = new ProjectionRunner(store, db, [documentsProjection, settingsProjection], progress, pubsub, (err) => {
      throw err;
    });
    await runner.start();
    services = [];
    files.clear();
  });
  afterEach(async () => {
    for (const service of services) await service.stop();
    await runner.stop();
    await pubsub.close();
    await store.close();
    await db.close();
  });

  const start = async (embedder: OpenAIEmbedder | null = null) => {
    const service = await KnowledgeService.start({
      db,
      pubsub,
      embedder,
      onError: (err) => {
        throw err;
      },
    });
    services.push(service);
    return service;
  };

  /** Uploads and ingests a text document, then waits for the read models. */
  async function ingested(documentId: number, text: string, workspaceId = WS) {
    const storedName = `${documentId}-doc.txt`;
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
        workspaceId,
        filename: `doc${documentId}.txt`,
        storedName,
        mimeType: 'text/plain',
        format: 'txt',
        size: text.length,
        metadata: {},
      },
      commandCtx(),
    );
    await ingest(documentId, 1, `upload-${documentId}`, workspaceId);
  }

  async function ingest(documentId: number, ingestion: number, jobId: string, workspaceId = WS) {
    await ingestDocument(
      { store, db, files: fileStore },
      {
        id: jobId,
        name: INGEST_DOCUMENT,
        attempt: 1,
        data: {
          documentId,
          workspaceId,
          ingestion,
          storedName: `${documentId}-doc.txt`,
          format: 'txt',
          filename: `doc${documentId}.txt`,
        },
      },
    );
    expect(await progress.waitFor(await store.headPosition())).toBe(true);
  }

  const documentsFound = async (service: KnowledgeService, query: string, workspaceId = WS) => [
    ...new Set((await service.search(workspaceId, query, options)).map((hit) => hit.documentId)),
  ];

  it('given documents ingested before it started, then the first search builds the index from the read model', async () => {
    await ingested(1, 'The lighthouse keeper logged every passing ship in a leather ledger.');
    await ingested(2, 'Sourdough needs a starter, flour, water and patience.');
    await ingested(3, 'A lighthouse in another workspace.', 99);
    const service = await start();
    const hits = await service.search(WS, 'lighthouse ledger', options);
    expect(hits.map((h) => h.documentId)).toEqual([1]);
    expect(hits[0]).toMatchObject({ filename: 'doc1.txt', chunkId: '1:0', chunkIndex: 0 });
    expect(hits[0]!.score).toBeGreaterThanOrEqual(0.25);
    expect(await documentsFound(service, 'sourdough starter')).toEqual([2]);
  });

  it('given a built index, then documents processed, re-ingested and deleted later are found, replaced and dropped', async () => {
    await ingested(1, 'Penguins huddle together through the antarctic winter.');
    const service = await start();
    expect(await documentsFound(service, 'penguins')).toEqual([1]);

    await ingested(2, 'Volcanoes vent sulphur from deep magma chambers.');
    expect(await service.caughtUp(await store.headPosition())).toBe(true);
    expect(await documentsFound(service, 'magma chambers')).toEqual([2]);

    // Document 2 is watched and its source changes: while the new ingestion runs, its old text is not searched; after it, the new text is.
    await handleCommand(
      store,
      'document-2',
      documentDecider,
      { type: 'WatchDocument', actor: admin, watch: true, now: new Date() },
      commandCtx(),
    );
    files.set('2-doc.txt', Buffer.from('Glaciers carve fjords over thousands of years.'));
    await recordSourceChange(store, 2, 1, contentHashOf(files.get('2-doc.txt')!), new Date());
    expect(await service.caughtUp(await store.headPosition())).toBe(true);
    expect(await documentsFound(service, 'magma chambers')).toEqual([]);
    await ingest(2, 2, 'change-2');
    expect(await service.caughtUp(await store.headPosition())).toBe(true);
    expect(await documentsFound(service, 'glaciers fjords')).toEqual([2]);
    expect(await documentsFound(service, 'magma chambers')).toEqual([]);

    await handleCommand(
      store,
      'document-1',
      documentDecider,
      { type: 'DeleteDocument', actor: admin, now: new Date() },
      commandCtx(),
    );
    expect(await service.caughtUp(await store.headPosition())).toBe(true);
    expect(await documentsFound(service, 'penguins')).toEqual([]);
  });

  it('given pinned documents, then pinned() gives each ready one whole, overlaps removed', async () => {
    const paragraphs = Array.from(
      { length: 40 },
      (_, i) => `Paragraph ${i} says something about item ${i * 7} in plain words, and then some more words follow.`,
    );
    const text = paragraphs.join('\n\n');
    await ingested(1, text);
    await ingested(2, 'Not pinned.');
    await handleCommand(
      store,
      'document-1',
      documentDecider,
      { type: 'PinDocument', actor: admin, pin: true, now: new Date() },
      commandCtx(),
    );
    expect(await progress.waitFor(await store.headPosition())).toBe(true);
    const chunks = await db.collection('document_chunks').find({ documentId: 1 });
    expect(chunks.length).toBeGreaterThan(3); // several overlapping chunks to join
    const service = await start();
    expect(await service.pinned(WS)).toEqual([{ documentId: 1, filename: 'doc1.txt', text }]);
  });

  it('joins overlapping chunk spans back into the text they came from', () => {
    const text =
      'One sentence here. Another sentence there.\n\nA new paragraph starts. It goes on for a while, with words.';
    const spans = splitSpans(text, { chunkSize: 40, chunkOverlap: 15 });
    expect(spans.length).toBeGreaterThan(2);
    expect(joinChunks(spans)).toBe(text);
  });

  describe('with an OpenAI-compatible embeddings endpoint', () => {
    let server: EmbeddingsServer;
    beforeEach(async () => {
      server = await startEmbeddingsServer();
    });
    afterEach(() => server.close());

    const embedder = () => new OpenAIEmbedder({ model: 'test-embed', baseUrl: server.baseUrl, apiKey: 'sk-test' });

    it('finds by meaning what BM25 cannot, keeps the threshold, caches vectors and reuses them after a restart', async () => {
      await ingested(1, 'Our car broke down near the old mill, so we walked the rest of the way.');
      await ingested(2, 'The physician prescribed rest and plenty of fluids.');
      const lexical = await start();
      expect(await documentsFound(lexical, 'automobile')).toEqual([]);

      const hybrid = await start(embedder());
      await hybrid.search(WS, 'warm up', options); // builds the index; vectors follow in the background
      await hybrid.settled();
      expect(await documentsFound(hybrid, 'automobile')).toEqual([1]);
      expect(await documentsFound(hybrid, 'doctor medic')).toEqual([2]);
      expect(await hybrid.search(WS, 'zebra quantum', options)).toEqual([]); // nothing similar enough
      expect(server.requests.every((r) => r.model === 'test-embed' && r.authorization === 'Bearer sk-test')).toBe(true);
      expect(await db.collection(CHUNK_EMBEDDINGS).count({})).toBe(2);
      expect(server.requests[0]!.encoding_format).toBe('base64'); // the official client's default, decoded by it

      // A restart: the vectors come from the cache; only queries go to the endpoint.
      const embeddedTexts = server.requests.length;
      const restarted = await start(embedder());
      await restarted.search(WS, 'warm up', options);
      await restarted.settled();
      expect(await documentsFound(restarted, 'automobile')).toEqual([1]);
      expect(
        server.requests
          .slice(embeddedTexts)
          .every((r) => r.input.length === 1 && ['warm up', 'automobile'].includes(r.input[0]!)),
      ).toBe(true);

      // A deleted document's cached vectors go with it.
      await handleCommand(
        store,
        'document-1',
        documentDecider,
        { type: 'DeleteDocument', actor: admin, now: new Date() },
        commandCtx(),
      );
      expect(await restarted.caughtUp(await store.headPosition())).toBe(true);
      expect(await documentsFound(restarted, 'automobile')).toEqual([]);
      expect(await db.collection(CHUNK_EMBEDDINGS).count({ documentId: 1 })).toBe(0);
    });

    it('answers from BM25 alone when the endpoint is down', async () => {
      await ingested(1, 'Our car broke down near the old mill.');
      const errors: string[] = [];
      const service = await KnowledgeService.start({
        db,
        pubsub,
        embedder: embedder(),
        onError: (_err, what) => errors.push(what),
      });
      services.push(service);
      await service.search(WS, 'warm up', options);
      await service.settled();
      await server.close();
      expect(await documentsFound(service, 'car mill')).toEqual([1]);
      expect(errors).toEqual(['query embedding failed; answering from BM25 alone']);
    }, 60_000);
  });
});
