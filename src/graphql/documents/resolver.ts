import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { bulkDocumentAction, deleteDocument, pinDocument, watchDocument } from '../../commands/documents/documents.js';
import { withIdempotency } from '../../commands/shared/idempotency.js';
import { notFound } from '../../domain/shared/errors.js';
import { documentsOfWorkspaces, findDocument, listDocuments } from '../../projections/documents/queries.js';
import { findWorkspaceById } from '../../projections/workspaces/queries.js';
import { commandContextOf, type GraphQLContext, requireActor } from '../context.js';
import { listComplexity } from '../limits.js';
import { createLoaders } from '../shared/loaders.js';
import { noticeStream } from '../shared/notice-stream.js';
import { Workspace } from '../workspaces/types.js';
import { BulkDocumentResult, Document } from './types.js';
import { AS_OF_DESCRIPTION, AsOf, loadersOf, readsAsOf } from '../shared/as-of.js';
import { PAST_DOCUMENTS } from '../../projections/time-travel/reads.js';

/** An ID argument as the integer it holds; anything else names nothing. */
function idOf(raw: unknown): number {
  const text = String(raw);
  if (!/^\d{1,15}$/.test(text)) throw notFound();
  return Number(text);
}

/** The events that change a document's status, which documentStatus reports. */
const STATUS_EVENTS = new Set([
  'DocumentUploaded',
  'DocumentSourceChanged',
  'DocumentProcessed',
  'DocumentFailed',
  'DocumentDeleted',
]);
const DOCUMENT_STREAM = /^document-(\d+)$/;

/**
 * GraphQL twin of the Documents App. Uploads go over REST (`POST /api/documents/upload/`, multipart):
 * a client then follows the document through `documentStatus`, so GraphQL needs no multipart protocol.
 */
@Resolver(() => Document)
export class DocumentResolver {
  private async byId(ctx: GraphQLContext, id: number, position: number): Promise<Document> {
    await ctx.deps.progress.settle(position);
    const doc = await findDocument(ctx.deps.db, requireActor(ctx), id);
    if (!doc) throw notFound();
    return Document.from(doc);
  }

  @Query(() => [Document], {
    complexity: listComplexity(50),
    description: 'Documents of a workspace the caller may see (NOT_FOUND otherwise).',
  })
  async documents(
    @Ctx() ctx: GraphQLContext,
    @Arg('workspaceId', () => ID) workspaceId: string,
    @Arg('pinned', () => Boolean, { nullable: true }) pinned?: boolean,
    @Arg('watched', () => Boolean, { nullable: true }) watched?: boolean,
    @Arg('status', () => String, { nullable: true }) status?: string,
    @Arg('limit', () => Int, { nullable: true }) limit?: number,
    @Arg('offset', () => Int, { nullable: true }) offset?: number,
    @Arg('asOf', () => AsOf, { nullable: true, description: AS_OF_DESCRIPTION }) asOf?: Date | null,
  ): Promise<Document[]> {
    const actor = requireActor(ctx);
    const id = idOf(workspaceId);
    const db = await readsAsOf(ctx, asOf, PAST_DOCUMENTS);
    if (!(await findWorkspaceById(db, actor, id))) throw notFound();
    const filter: Record<string, unknown> = { workspaceId: id };
    if (pinned != null) filter.pinned = pinned;
    if (watched != null) filter.watched = watched;
    if (status != null) filter.status = status;
    const window = { skip: Math.max(0, offset ?? 0), ...(limit ? { limit: Math.min(Math.max(1, limit), 1000) } : {}) };
    const { results } = await listDocuments(db, actor, filter, window);
    return results.map(Document.from);
  }

  @Query(() => Document, { nullable: true })
  async document(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('asOf', () => AsOf, { nullable: true, description: AS_OF_DESCRIPTION }) asOf?: Date | null,
  ): Promise<Document | null> {
    const actor = requireActor(ctx);
    const db = await readsAsOf(ctx, asOf, PAST_DOCUMENTS);
    if (!/^\d{1,15}$/.test(id)) return null;
    const doc = await findDocument(db, actor, Number(id));
    return doc && Document.from(doc);
  }

  @Mutation(() => Document)
  async pinDocument(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('pin') pin: boolean,
  ): Promise<Document> {
    const { documentId, position } = await pinDocument(ctx.deps.store, idOf(id), { pin }, commandContextOf(ctx));
    return this.byId(ctx, documentId, position);
  }

  @Mutation(() => Document)
  async watchDocument(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('watch') watch: boolean,
  ): Promise<Document> {
    const { documentId, position } = await watchDocument(ctx.deps.store, idOf(id), { watch }, commandContextOf(ctx));
    return this.byId(ctx, documentId, position);
  }

  @Mutation(() => Boolean)
  async deleteDocument(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    const { position } = await deleteDocument(ctx.deps, idOf(id), commandContextOf(ctx));
    await ctx.deps.progress.settle(position);
    return true;
  }

  @Mutation(() => BulkDocumentResult, { description: 'action: pin, unpin, watch, unwatch or delete' })
  async bulkDocumentAction(
    @Ctx() ctx: GraphQLContext,
    @Arg('ids', () => [ID]) ids: string[],
    @Arg('action') action: string,
  ): Promise<BulkDocumentResult> {
    const cmd = commandContextOf(ctx);
    const input = { document_ids: ids.map((id) => (/^\d{1,15}$/.test(id) ? Number(id) : id)), action };
    const { position, ...result } = await withIdempotency(
      ctx.deps.store,
      cmd,
      `bulk-documents|${JSON.stringify(input)}`,
      () => bulkDocumentAction(ctx.deps, input, cmd),
    );
    await ctx.deps.progress.settle(position);
    return Object.assign(new BulkDocumentResult(), {
      action: result.action,
      succeeded: result.succeeded,
      failed: Object.entries(result.failed).map(([id, reason]) => ({ id, reason })),
    });
  }

  @Subscription(() => Document, {
    description:
      'Each status change of the documents of a workspace (uploaded/processing, ready, failed, deleted), for those who may see it.',
    subscribe: async ({ args, context }) => {
      const ctx = context as GraphQLContext;
      const actor = requireActor(ctx);
      const workspaceId = idOf(args.workspaceId);
      if (!(await findWorkspaceById(ctx.deps.db, actor, workspaceId))) throw notFound();
      // What each document of the workspace last looked like: a deletion is reported with it, and a
      // status already reported (read models may be ahead of the notice) is not repeated.
      const known = new Map<number, Document>();
      for (const d of await documentsOfWorkspaces(ctx.deps.db, [workspaceId])) known.set(d.id, Document.from(d));
      return noticeStream(ctx.deps.pubsub, ctx.deps.progress, async (event) => {
        const match = STATUS_EVENTS.has(event.type) ? DOCUMENT_STREAM.exec(event.stream) : null;
        if (!match) return null;
        const id = Number(match[1]);
        const before = known.get(id);
        if (event.type === 'DocumentDeleted') {
          if (!before) return null;
          known.delete(id);
          // Someone removed from the workspace hears nothing more about it.
          if (!(await findWorkspaceById(ctx.deps.db, actor, workspaceId))) return null;
          return Object.assign(new Document(), before, { status: 'deleted' });
        }
        const doc = await findDocument(ctx.deps.db, actor, id);
        if (!doc || doc.workspaceId !== workspaceId) return null;
        const now = Document.from(doc);
        known.set(id, now);
        if (
          before &&
          before.status === now.status &&
          event.type !== 'DocumentUploaded' &&
          event.type !== 'DocumentSourceChanged'
        )
          return null;
        return now;
      });
    },
  })
  documentStatus(
    @Root() doc: Document,
    @Arg('workspaceId', () => ID) _workspaceId: string,
    @Ctx() ctx: GraphQLContext,
  ): Document {
    ctx.loaders = createLoaders(ctx.deps.db);
    return doc;
  }
}

/** Workspace.documents, batched: a list of workspaces asks the read store once for all their documents. */
@Resolver(() => Workspace)
export class WorkspaceDocumentsResolver {
  @FieldResolver(() => [Document], { complexity: listComplexity(20) })
  async documents(@Root() ws: Workspace, @Ctx() ctx: GraphQLContext): Promise<Document[]> {
    return (await loadersOf(ctx, ws).documentsByWorkspace.load(ws.id)).map(Document.from);
  }
}
