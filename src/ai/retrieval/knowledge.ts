import { createHash } from 'node:crypto';
import type { PubSub } from '../../infra/pubsub/port.js';
import type { Doc, ReadStore } from '../../infra/readstore/port.js';
import { DOCUMENT_CHUNKS, DOCUMENTS } from '../../projections/documents/projection.js';
import type { ChunkView } from '../../projections/documents/queries.js';
import { type ProgressNotice, PROJECTIONS_CHANNEL } from '../../projections/shared/notices.js';
import { type IndexedChunk, RetrievalIndex, type SearchHit, type SearchOptions } from './bm25-index.js';
import { type Embedder, normalize, vectorFromBase64, vectorToBase64 } from './embeddings.js';
import type { PinnedDocument, WorkspaceKnowledge } from './port.js';
import { VectorIndex } from './vector-index.js';

/** Cached vectors, `{_id: '<model>|<chunk id>', model, chunkId, documentId, workspaceId, textHash, vector}`: derived, recomputable. */
export const CHUNK_EMBEDDINGS = 'chunk_embeddings';

/** Events after which a document's searchable chunks may differ: only finished ingestions are searched. */
const DOCUMENT_CHANGES = new Set(['DocumentProcessed', 'DocumentFailed', 'DocumentSourceChanged', 'DocumentDeleted']);
const DOCUMENT_STREAM = /^document-(\d+)$/;
const WORKSPACE_STREAM = /^workspace-(\d+)$/;

export interface KnowledgeOptions {
  db: ReadStore;
  /** Where the projection runner announces each batch; without it the index is built once and never refreshed. */
  pubsub?: PubSub;
  /** Vector search beside BM25 when set. */
  embedder?: Embedder | null;
  onError?: (err: unknown, what: string) => void;
}

interface Indexed {
  workspaceId: number;
  ingestion: number;
}

/**
 * WorkspaceKnowledge over the documents read models. Each workspace's index is built on its first
 * search from `document_chunks` (so it is rebuilt after a restart or replay) and kept current by
 * the projection notices: a document whose ingestion finished, restarted or was deleted is
 * re-read. Only ready documents, and only the chunks of their latest ingestion, are searched.
 * Index changes run one at a time, and a search waits for those queued before it, so a search
 * made after a notice sees its effect.
 */
export class KnowledgeService implements WorkspaceKnowledge {
  private readonly bm25 = new RetrievalIndex();
  private readonly vectors = new VectorIndex();
  private readonly built = new Set<number>();
  private readonly indexed = new Map<number, Indexed>();
  private changes: Promise<void> = Promise.resolve();
  private embeddings: Promise<void> = Promise.resolve();
  private unsubscribe: (() => Promise<void>) | null = null;
  /** The newest projection batch heard of, and who waits to hear of a later one. */
  private heard = 0;
  private listeners = new Set<() => void>();
  private readonly embedder: Embedder | null;
  private readonly onError: (err: unknown, what: string) => void;

  private constructor(
    private readonly db: ReadStore,
    options: KnowledgeOptions,
  ) {
    this.embedder = options.embedder ?? null;
    this.onError = options.onError ?? ((err, what) => console.error(`knowledge: ${what}`, err));
  }

  static async start(options: KnowledgeOptions): Promise<KnowledgeService> {
    const service = new KnowledgeService(options.db, options);
    if (options.pubsub)
      service.unsubscribe = await options.pubsub.subscribe(PROJECTIONS_CHANNEL, (m) =>
        service.noticed(m as ProgressNotice),
      );
    return service;
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = null;
    await this.settled();
  }

  /** Resolves once every queued index change and vector computation has finished. */
  async settled(): Promise<void> {
    for (;;) {
      const changes = this.changes;
      const embeddings = this.embeddings;
      await changes;
      await embeddings;
      if (changes === this.changes && embeddings === this.embeddings) return;
    }
  }

  /**
   * Resolves true once the notice of the projection batch holding `position` has been heard and its
   * index changes made (read-your-writes for search), false after `timeoutMs`.
   */
  async caughtUp(position: number, timeoutMs = 10_000): Promise<boolean> {
    if (this.heard < position) {
      const heard = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => done(false), timeoutMs);
        const check = () => {
          if (this.heard >= position) done(true);
        };
        const done = (result: boolean) => {
          clearTimeout(timer);
          this.listeners.delete(check);
          resolve(result);
        };
        this.listeners.add(check);
      });
      if (!heard) return false;
    }
    await this.settled();
    return true;
  }

  async search(workspaceId: number, query: string, options: SearchOptions): Promise<SearchHit[]> {
    await this.ensureBuilt(workspaceId);
    if (!this.embedder || this.vectors.size(workspaceId) === 0) return this.bm25.search(workspaceId, query, options);
    return this.hybridSearch(workspaceId, query, options);
  }

  async pinned(workspaceId: number): Promise<PinnedDocument[]> {
    const docs = await this.db
      .collection(DOCUMENTS)
      .find({ workspaceId, pinned: true, status: 'ready' }, { sort: { id: 1 } });
    const out: PinnedDocument[] = [];
    for (const doc of docs) {
      const chunks = await this.db
        .collection(DOCUMENT_CHUNKS)
        .find({ documentId: doc.id, ingestion: doc.ingestion }, { sort: { index: 1 } });
      out.push({
        documentId: doc.id as number,
        filename: doc.filename as string,
        text: joinChunks(chunks as unknown as ChunkView[]),
      });
    }
    return out;
  }

  /**
   * BM25 and vector candidates (a few times topN of each, unfiltered), each chunk scored by the
   * stronger of its two normalised scores: a chunk that shares the query's rare words or says the
   * same thing in other words both count. The workspace's threshold then applies to that score.
   */
  private async hybridSearch(
    workspaceId: number,
    query: string,
    { topN, threshold }: SearchOptions,
  ): Promise<SearchHit[]> {
    const pool = Math.max(20, topN * 4);
    const candidates = new Map<string, SearchHit>();
    for (const hit of this.bm25.search(workspaceId, query, { topN: pool, threshold: 0 }))
      candidates.set(hit.chunkId, hit);
    try {
      const [vector] = await this.embedder!.embed([query]);
      for (const hit of this.vectors.search(workspaceId, normalize(vector!), pool)) {
        const lexical = candidates.get(hit.chunkId);
        if (!lexical || lexical.score < hit.score) candidates.set(hit.chunkId, hit);
      }
    } catch (err) {
      this.onError(err, 'query embedding failed; answering from BM25 alone');
    }
    return [...candidates.values()]
      .filter((hit) => hit.score >= threshold)
      .sort((a, b) => b.score - a.score)
      .slice(0, topN);
  }

  private noticed(notice: ProgressNotice): void {
    this.hear(notice);
    const ids = new Set<number>();
    const goneWorkspaces = new Set<number>();
    for (const event of notice.events ?? []) {
      const match = DOCUMENT_CHANGES.has(event.type) ? DOCUMENT_STREAM.exec(event.stream) : null;
      if (match) ids.add(Number(match[1]));
      const workspace = event.type === 'WorkspaceDeleted' ? WORKSPACE_STREAM.exec(event.stream) : null;
      if (workspace) goneWorkspaces.add(Number(workspace[1]));
    }
    if (ids.size > 0) void this.queueChange(() => this.refresh([...ids])).catch(() => {});
    // The projection drops a deleted workspace's documents and chunks without a document event each.
    for (const workspaceId of goneWorkspaces)
      void this.queueChange(async () => this.forgetWorkspace(workspaceId)).catch(() => {});
  }

  private hear(notice: ProgressNotice): void {
    if (!(notice.position > this.heard)) return;
    // After this notice's changes are queued (noticed runs on synchronously), so caughtUp's settled() covers them.
    queueMicrotask(() => {
      this.heard = Math.max(this.heard, notice.position);
      for (const listener of [...this.listeners]) listener();
    });
  }

  /** Runs index changes one at a time, in the order they were asked for. */
  private queueChange(change: () => Promise<void>): Promise<void> {
    const run = this.changes.then(change);
    this.changes = run.catch((err) => this.onError(err, 'index update failed'));
    return run;
  }

  private ensureBuilt(workspaceId: number): Promise<void> {
    if (this.built.has(workspaceId)) return this.changes;
    this.built.add(workspaceId);
    return this.queueChange(() => this.build(workspaceId)).catch((err) => {
      this.built.delete(workspaceId); // the next search tries again
      this.bm25.clearWorkspace(workspaceId);
      throw err;
    });
  }

  private forgetWorkspace(workspaceId: number): void {
    this.built.delete(workspaceId);
    this.bm25.clearWorkspace(workspaceId);
    for (const [documentId, entry] of this.indexed) {
      if (entry.workspaceId !== workspaceId) continue;
      this.vectors.removeDocument(workspaceId, documentId);
      this.indexed.delete(documentId);
    }
  }

  private async build(workspaceId: number): Promise<void> {
    const ready = new Map<number, Doc>();
    for (const doc of await this.db.collection(DOCUMENTS).find({ workspaceId, status: 'ready' }))
      ready.set(doc.id as number, doc);
    const byDocument = new Map<number, ChunkView[]>();
    for (const chunk of (await this.db.collection(DOCUMENT_CHUNKS).find({ workspaceId })) as unknown as ChunkView[]) {
      if (ready.get(chunk.documentId)?.ingestion !== chunk.ingestion) continue; // an ingestion under way, or a stale one
      let list = byDocument.get(chunk.documentId);
      if (!list) byDocument.set(chunk.documentId, (list = []));
      list.push(chunk);
    }
    for (const [documentId, chunks] of byDocument) this.index(workspaceId, ready.get(documentId)!, chunks);
  }

  private async refresh(documentIds: number[]): Promise<void> {
    for (const documentId of documentIds) {
      const doc = await this.db.collection(DOCUMENTS).findOne({ _id: String(documentId) });
      const workspaceId = (doc?.workspaceId as number | undefined) ?? this.indexed.get(documentId)?.workspaceId;
      if (doc?.status !== 'ready' && doc?.status !== 'processing' && doc?.status !== 'failed') {
        // Deleted: its cached vectors go too.
        await this.db.collection(CHUNK_EMBEDDINGS).deleteMany({ documentId });
      }
      if (workspaceId === undefined || !this.built.has(workspaceId)) continue; // not loaded: a later build reads it
      this.bm25.removeDocument(workspaceId, documentId);
      this.vectors.removeDocument(workspaceId, documentId);
      this.indexed.delete(documentId);
      if (doc?.status !== 'ready') continue;
      const chunks = await this.db.collection(DOCUMENT_CHUNKS).find({ documentId, ingestion: doc.ingestion });
      this.index(workspaceId, doc, chunks as unknown as ChunkView[]);
    }
  }

  private index(workspaceId: number, doc: Doc, stored: ChunkView[]): void {
    const chunks: IndexedChunk[] = stored.map((c) => ({
      id: c._id,
      documentId: c.documentId,
      text: c.text,
      chunkIndex: c.index,
      filename: (doc.filename as string) ?? c.filename,
    }));
    this.bm25.add(workspaceId, chunks);
    const entry = { workspaceId, ingestion: doc.ingestion as number };
    this.indexed.set(doc.id as number, entry);
    if (this.embedder) this.queueEmbeddings(workspaceId, doc.id as number, entry, chunks);
  }

  /**
   * Vectors are computed in the background (searches meanwhile use BM25 for the chunks without
   * one), from the cache when it holds this chunk's text under this model, else from the endpoint.
   */
  private queueEmbeddings(workspaceId: number, documentId: number, entry: Indexed, chunks: IndexedChunk[]): void {
    const embedder = this.embedder!;
    const cache = this.db.collection(CHUNK_EMBEDDINGS);
    const current = () => this.indexed.get(documentId) === entry; // not replaced or removed meanwhile
    this.embeddings = this.embeddings
      .then(async () => {
        for (let i = 0; i < chunks.length && current(); i += EMBED_BATCH) {
          const batch = chunks.slice(i, i + EMBED_BATCH);
          const keys = batch.map((c) => `${embedder.model}|${c.id}`);
          const cached = new Map((await cache.find({ _id: { $in: keys } })).map((d) => [d._id, d]));
          const missing = batch.filter((c, j) => cached.get(keys[j]!)?.textHash !== textHash(c.text));
          const fresh = missing.length > 0 ? await embedder.embed(missing.map((c) => c.text)) : [];
          if (!current()) return;
          const vectorOf = new Map(missing.map((c, j) => [c.id, fresh[j]!]));
          for (const [j, chunk] of batch.entries()) {
            const raw = vectorOf.get(chunk.id) ?? vectorFromBase64(cached.get(keys[j]!)!.vector as string);
            this.vectors.add(workspaceId, chunk, normalize(raw));
          }
          for (const chunk of missing) {
            await cache.updateOne(
              { _id: `${embedder.model}|${chunk.id}` },
              {
                $set: {
                  model: embedder.model,
                  chunkId: chunk.id,
                  documentId,
                  workspaceId,
                  textHash: textHash(chunk.text),
                  vector: vectorToBase64(vectorOf.get(chunk.id)!),
                },
              },
              { upsert: true },
            );
          }
        }
      })
      .catch((err) => this.onError(err, 'embedding chunks failed; those chunks are searched by BM25 alone'));
  }
}

const EMBED_BATCH = 64;

const textHash = (text: string) => createHash('sha1').update(text).digest('base64');

/**
 * A document's text from its chunks, without the overlaps: each chunk contributes what lies past
 * the end of the one before (chunks are trimmed slices of the text at `start`). Where trimming left
 * a gap, the whitespace is restored as a blank line (two characters or more: a paragraph break)
 * or a space.
 */
export function joinChunks(chunks: readonly { text: string; start: number }[]): string {
  let out = '';
  let end = 0;
  for (const chunk of [...chunks].sort((a, b) => a.start - b.start)) {
    const chunkEnd = chunk.start + chunk.text.length;
    if (chunkEnd <= end) continue;
    if (out && chunk.start > end) out += chunk.start - end >= 2 ? '\n\n' : ' ';
    out += chunk.text.slice(Math.max(0, end - chunk.start));
    end = chunkEnd;
  }
  return out;
}
