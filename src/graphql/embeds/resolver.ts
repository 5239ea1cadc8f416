import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import {
  createEmbedConfig,
  deleteEmbedConfig,
  embedUuid,
  toggleEmbedConfig,
  updateEmbedConfig,
} from '../../commands/embeds/embed-configs.js';
import { withIdempotency } from '../../commands/shared/idempotency.js';
import { isPrivileged } from '../../domain/identity/roles.js';
import { embedSnippet } from '../../domain/embeds/snippet.js';
import { forbidden, notFound } from '../../domain/shared/errors.js';
import { findEmbedConfig, listEmbedConfigs, sessionsOf } from '../../projections/embeds/queries.js';
import { findWorkspaceById } from '../../projections/workspaces/queries.js';
import { commandContextOf, type GraphQLContext, requireActor } from '../context.js';
import { listComplexity } from '../limits.js';
import {
  CreateEmbedConfigInput,
  EmbedCode,
  EmbedConfig,
  EmbedSession,
  toWireEmbedInput,
  UpdateEmbedConfigInput,
} from './types.js';

/** GraphQL twin of the Embeddings App (admins and managers). */
@Resolver()
export class EmbedResolver {
  private privileged(ctx: GraphQLContext) {
    const actor = requireActor(ctx);
    if (!isPrivileged(actor.role)) throw forbidden();
    return actor;
  }

  private async config(ctx: GraphQLContext, uuid: string, position = 0) {
    await ctx.deps.progress.settle(position);
    const found = await findEmbedConfig(ctx.deps.db, embedUuid(uuid));
    if (!found) throw notFound();
    return found;
  }

  @Query(() => [EmbedConfig], { complexity: listComplexity(50) })
  async embedConfigs(@Ctx() ctx: GraphQLContext): Promise<EmbedConfig[]> {
    this.privileged(ctx);
    return (await listEmbedConfigs(ctx.deps.db)).map(EmbedConfig.from);
  }

  @Query(() => EmbedConfig, { nullable: true })
  async embedConfig(@Ctx() ctx: GraphQLContext, @Arg('uuid', () => ID) uuid: string): Promise<EmbedConfig | null> {
    this.privileged(ctx);
    const found = await findEmbedConfig(ctx.deps.db, uuid.toLowerCase());
    return found && EmbedConfig.from(found);
  }

  @Mutation(() => EmbedConfig)
  async createEmbedConfig(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => CreateEmbedConfigInput) input: CreateEmbedConfigInput,
  ): Promise<EmbedConfig> {
    const cmd = commandContextOf(ctx);
    const wire = toWireEmbedInput(input);
    const { uuid, position } = await withIdempotency(ctx.deps.store, cmd, `create-embed|${JSON.stringify(wire)}`, () =>
      createEmbedConfig(ctx.deps.store, wire, cmd),
    );
    return EmbedConfig.from(await this.config(ctx, uuid, position));
  }

  @Mutation(() => EmbedConfig)
  async updateEmbedConfig(
    @Ctx() ctx: GraphQLContext,
    @Arg('uuid', () => ID) uuid: string,
    @Arg('input', () => UpdateEmbedConfigInput) input: UpdateEmbedConfigInput,
  ): Promise<EmbedConfig> {
    const result = await updateEmbedConfig(ctx.deps.store, uuid, toWireEmbedInput(input), commandContextOf(ctx));
    return EmbedConfig.from(await this.config(ctx, result.uuid, result.position));
  }

  @Mutation(() => EmbedConfig)
  async toggleEmbedConfig(@Ctx() ctx: GraphQLContext, @Arg('uuid', () => ID) uuid: string): Promise<EmbedConfig> {
    const result = await toggleEmbedConfig(ctx.deps.store, uuid, commandContextOf(ctx));
    return EmbedConfig.from(await this.config(ctx, result.uuid, result.position));
  }

  @Mutation(() => Boolean)
  async deleteEmbedConfig(@Ctx() ctx: GraphQLContext, @Arg('uuid', () => ID) uuid: string): Promise<boolean> {
    const { position } = await deleteEmbedConfig(ctx.deps.store, uuid, commandContextOf(ctx));
    await ctx.deps.progress.settle(position);
    return true;
  }

  @Query(() => EmbedCode)
  async embedCode(@Ctx() ctx: GraphQLContext, @Arg('uuid', () => ID) uuid: string): Promise<EmbedCode> {
    const actor = this.privileged(ctx);
    const found = await this.config(ctx, uuid);
    const workspace = await findWorkspaceById(ctx.deps.db, actor, found.workspace);
    return {
      embedCode: embedSnippet(ctx.request.baseUrl, found.uuid),
      uuid: found.uuid,
      workspace: workspace?.name ?? null,
    };
  }

  @Query(() => [EmbedSession], { complexity: listComplexity(50) })
  async embedSessions(
    @Ctx() ctx: GraphQLContext,
    @Arg('embedConfig', () => ID) embedConfig: string,
  ): Promise<EmbedSession[]> {
    this.privileged(ctx);
    const found = await this.config(ctx, embedConfig);
    return (await sessionsOf(ctx.deps.db, found.uuid)).map(EmbedSession.from);
  }
}
