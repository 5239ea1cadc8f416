import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { withIdempotency } from '../../commands/shared/idempotency.js';
import { createThread, deleteThread, renameThread } from '../../commands/workspaces/threads.js';
import {
  addWorkspaceMember,
  createWorkspace,
  deleteWorkspace,
  removeWorkspaceMember,
  updateWorkspace,
} from '../../commands/workspaces/workspaces.js';
import { notFound } from '../../domain/shared/errors.js';
import { containsAny } from '../../projections/shared/search.js';
import { findThread, threadsOfWorkspace } from '../../projections/threads/queries.js';
import {
  findWorkspaceById,
  findWorkspaceBySlug,
  listWorkspaces,
  seenBy,
  workspaceAfter,
} from '../../projections/workspaces/queries.js';
import { commandContextOf, type GraphQLContext, requireActor } from '../context.js';
import { User } from '../identity/types.js';
import { listComplexity, searchListComplexity } from '../limits.js';
import { createLoaders } from '../shared/loaders.js';
import { AS_OF_DESCRIPTION, AsOf, fromStore, loadersOf, readsAsOf } from '../shared/as-of.js';
import { PAST_WORKSPACES, PAST_WORKSPACES_NESTED } from '../../projections/time-travel/reads.js';
import { noticeStream } from '../shared/notice-stream.js';
import { sharedEvents } from '../shared/shared-execution.js';
import { CreateWorkspaceInput, Thread, toWireInput, UpdateWorkspaceInput, Workspace, WorkspaceEvent } from './types.js';

/**
 * Every subscriber who may see a workspace gets the same event object for a change to it: nothing under
 * WorkspaceEvent depends on the viewer once `seenBy` has let them see it, so the execution is shared.
 */
const workspaceEventFor = sharedEvents<number, WorkspaceEvent>();

/** GraphQL twin of the Workspaces App, and live workspace events. */
@Resolver(() => Workspace)
export class WorkspaceResolver {
  private async byId(ctx: GraphQLContext, id: number, position: number): Promise<Workspace> {
    await ctx.deps.progress.settle(position);
    const ws = await findWorkspaceById(ctx.deps.db, requireActor(ctx), id);
    if (!ws) throw notFound();
    return Workspace.from(ws);
  }

  @Query(() => [Workspace], { complexity: searchListComplexity(50) })
  async workspaces(
    @Ctx() ctx: GraphQLContext,
    @Arg('search', () => String, { nullable: true }) search?: string,
    @Arg('limit', () => Int, { nullable: true }) limit?: number,
    @Arg('offset', () => Int, { nullable: true }) offset?: number,
    @Arg('asOf', () => AsOf, { nullable: true, description: AS_OF_DESCRIPTION }) asOf?: Date | null,
  ): Promise<Workspace[]> {
    const filter = search ? containsAny(search, 'search', ['name', 'slug']) : {};
    const window = { skip: Math.max(0, offset ?? 0), ...(limit ? { limit: Math.min(Math.max(1, limit), 1000) } : {}) };
    const db = await readsAsOf(ctx, asOf, PAST_WORKSPACES_NESTED);
    const { results } = await listWorkspaces(db, requireActor(ctx), filter, window);
    return fromStore(ctx, db, results.map(Workspace.from));
  }

  @Query(() => Workspace, { nullable: true })
  async workspace(
    @Ctx() ctx: GraphQLContext,
    @Arg('slug') slug: string,
    @Arg('asOf', () => AsOf, { nullable: true, description: AS_OF_DESCRIPTION }) asOf?: Date | null,
  ): Promise<Workspace | null> {
    const db = await readsAsOf(ctx, asOf, PAST_WORKSPACES_NESTED);
    const ws = await findWorkspaceBySlug(db, requireActor(ctx), slug);
    return ws && fromStore(ctx, db, [Workspace.from(ws)])[0]!;
  }

  @FieldResolver(() => [Thread], { complexity: listComplexity(20) })
  async threads(@Root() ws: Workspace, @Ctx() ctx: GraphQLContext): Promise<Thread[]> {
    return (await loadersOf(ctx, ws).threadsByWorkspace.load(ws.id)).map(Thread.from);
  }

  @FieldResolver(() => [User], { complexity: listComplexity(20) })
  async users(@Root() ws: Workspace, @Ctx() ctx: GraphQLContext): Promise<User[]> {
    const users = await loadersOf(ctx, ws).users.loadMany(ws.memberIds);
    return users.flatMap((u) => (u && !(u instanceof Error) ? [User.from(u)] : []));
  }

  @Mutation(() => Workspace)
  async createWorkspace(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => CreateWorkspaceInput) input: CreateWorkspaceInput,
  ): Promise<Workspace> {
    const cmd = commandContextOf(ctx);
    const wire = toWireInput(input);
    const { workspaceId, position } = await withIdempotency(
      ctx.deps.store,
      cmd,
      `create-workspace|${JSON.stringify(wire)}`,
      () => createWorkspace(ctx.deps.store, wire, cmd),
    );
    return this.byId(ctx, workspaceId, position);
  }

  @Mutation(() => Workspace)
  async updateWorkspace(
    @Ctx() ctx: GraphQLContext,
    @Arg('slug') slug: string,
    @Arg('input', () => UpdateWorkspaceInput) input: UpdateWorkspaceInput,
  ): Promise<Workspace> {
    const { workspaceId, position } = await updateWorkspace(
      ctx.deps.store,
      slug,
      toWireInput(input),
      commandContextOf(ctx),
    );
    return this.byId(ctx, workspaceId, position);
  }

  @Mutation(() => Boolean)
  async deleteWorkspace(@Ctx() ctx: GraphQLContext, @Arg('slug') slug: string): Promise<boolean> {
    const { position } = await deleteWorkspace(ctx.deps.store, slug, commandContextOf(ctx));
    await ctx.deps.progress.settle(position);
    return true;
  }

  @Mutation(() => Workspace)
  async addWorkspaceUser(
    @Ctx() ctx: GraphQLContext,
    @Arg('slug') slug: string,
    @Arg('userId', () => ID) userId: string,
  ): Promise<Workspace> {
    const { workspaceId, position } = await addWorkspaceMember(
      ctx.deps.store,
      slug,
      { user_id: Number(userId) },
      commandContextOf(ctx),
    );
    return this.byId(ctx, workspaceId, position);
  }

  @Mutation(() => Workspace)
  async removeWorkspaceUser(
    @Ctx() ctx: GraphQLContext,
    @Arg('slug') slug: string,
    @Arg('userId', () => ID) userId: string,
  ): Promise<Workspace> {
    const { workspaceId, position } = await removeWorkspaceMember(
      ctx.deps.store,
      slug,
      { user_id: Number(userId) },
      commandContextOf(ctx),
    );
    return this.byId(ctx, workspaceId, position);
  }

  @Query(() => [Thread], { name: 'threads' })
  async workspaceThreads(
    @Ctx() ctx: GraphQLContext,
    @Arg('workspaceSlug') workspaceSlug: string,
    @Arg('asOf', () => AsOf, { nullable: true, description: AS_OF_DESCRIPTION }) asOf?: Date | null,
  ): Promise<Thread[]> {
    const db = await readsAsOf(ctx, asOf, PAST_WORKSPACES);
    const ws = await findWorkspaceBySlug(db, requireActor(ctx), workspaceSlug);
    if (!ws) throw notFound();
    return (await threadsOfWorkspace(db, ws.id)).map(Thread.from);
  }

  @Mutation(() => Thread)
  async createThread(
    @Ctx() ctx: GraphQLContext,
    @Arg('workspaceSlug') workspaceSlug: string,
    @Arg('name', () => String, { nullable: true }) name?: string,
  ): Promise<Thread> {
    const { threadId, position } = await createThread(
      ctx.deps.store,
      workspaceSlug,
      name === undefined ? {} : { name },
      commandContextOf(ctx),
    );
    return this.thread(ctx, threadId, position);
  }

  @Mutation(() => Thread)
  async renameThread(
    @Ctx() ctx: GraphQLContext,
    @Arg('workspaceSlug') workspaceSlug: string,
    @Arg('id', () => ID) id: string,
    @Arg('name') name: string,
  ): Promise<Thread> {
    const { threadId, position } = await renameThread(
      ctx.deps.store,
      workspaceSlug,
      Number(id),
      { name },
      commandContextOf(ctx),
    );
    return this.thread(ctx, threadId, position);
  }

  @Mutation(() => Boolean)
  async deleteThread(
    @Ctx() ctx: GraphQLContext,
    @Arg('workspaceSlug') workspaceSlug: string,
    @Arg('id', () => ID) id: string,
  ): Promise<boolean> {
    const { position } = await deleteThread(ctx.deps.store, workspaceSlug, Number(id), commandContextOf(ctx));
    await ctx.deps.progress.settle(position);
    return true;
  }

  private async thread(ctx: GraphQLContext, id: number, position: number): Promise<Thread> {
    await ctx.deps.progress.settle(position);
    const thread = await findThread(ctx.deps.db, id);
    if (!thread) throw notFound();
    return Thread.from(thread);
  }

  @Subscription(() => WorkspaceEvent, {
    description: 'Changes to one workspace, for those who may see it.',
    subscribe: async ({ args, context }) => {
      const ctx = context as GraphQLContext;
      const actor = requireActor(ctx);
      const ws = await findWorkspaceBySlug(ctx.deps.db, actor, args.slug as string);
      if (!ws) throw notFound();
      const stream = `workspace-${ws.id}`;
      return noticeStream(ctx.deps.pubsub, ctx.deps.progress, async (event) => {
        if (event.stream !== stream) return null;
        const now = seenBy(actor, await workspaceAfter(ctx.deps.db, ws.id, event.position));
        // Someone removed from the workspace hears nothing more about it, except that it is gone.
        if (!now && event.type !== 'WorkspaceDeleted') return null;
        return workspaceEventFor(event.position, now, () => ({
          type: event.type,
          position: event.position,
          occurredAt: event.occurredAt,
          workspace: now && Workspace.from(now),
        }));
      });
    },
  })
  workspaceEvents(
    @Root() event: WorkspaceEvent,
    @Arg('slug') _slug: string,
    @Ctx() ctx: GraphQLContext,
  ): WorkspaceEvent {
    // A subscription's context lives as long as it does: each pushed event is read afresh, not from the last one's cache.
    ctx.loaders = createLoaders(ctx.deps.db);
    return event;
  }
}
