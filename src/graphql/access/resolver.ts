import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { generateKey, KEY_SHOWN_ONCE, revokeKey, verifyKey } from '../../commands/access/api-keys.js';
import { claimInvite, createInvite, disableInvite } from '../../commands/access/invites.js';
import { requestFingerprint, withIdempotency } from '../../commands/shared/idempotency.js';
import type { ApiKeyKind } from '../../domain/access/events.js';
import { isPrivileged } from '../../domain/identity/roles.js';
import { forbidden, notFound } from '../../domain/shared/errors.js';
import { listKeys } from '../../projections/api-keys/queries.js';
import { findInvite, listInvites } from '../../projections/invites/queries.js';
import { findUser } from '../../projections/users/queries.js';
import { commandContextOf, type GraphQLContext, requireActor } from '../context.js';
import { User } from '../identity/types.js';
import { listComplexity } from '../limits.js';
import { ApiKey, ApiKeyVerification, ClaimInviteInput, GeneratedApiKey, Invite } from './types.js';

/** GraphQL twin of the API Keys App: the same commands and rules as REST. */
@Resolver()
export class AccessResolver {
  private async generate(ctx: GraphQLContext, kind: ApiKeyKind): Promise<GeneratedApiKey> {
    const { keyId, key, position } = await generateKey(ctx.deps.store, kind, commandContextOf(ctx));
    await ctx.deps.progress.settle(position);
    return { key, id: keyId, message: KEY_SHOWN_ONCE };
  }

  private async revoke(ctx: GraphQLContext, kind: ApiKeyKind, id: string): Promise<boolean> {
    const { position } = await revokeKey(ctx.deps.store, kind, Number(id), commandContextOf(ctx));
    await ctx.deps.progress.settle(position);
    return true;
  }

  @Mutation(() => GeneratedApiKey, { description: 'Admin only. The secret is in this answer and nowhere else, ever.' })
  generateApiKey(@Ctx() ctx: GraphQLContext): Promise<GeneratedApiKey> {
    return this.generate(ctx, 'api');
  }

  @Query(() => [ApiKey], { complexity: listComplexity(50), description: 'Admin only; masked.' })
  async apiKeys(@Ctx() ctx: GraphQLContext): Promise<ApiKey[]> {
    if (requireActor(ctx).role !== 'admin') throw forbidden();
    return (await listKeys(ctx.deps.db, 'api', null)).map(ApiKey.from);
  }

  @Mutation(() => Boolean)
  revokeApiKey(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    return this.revoke(ctx, 'api', id);
  }

  @Query(() => ApiKeyVerification)
  verifyApiKey(@Ctx() ctx: GraphQLContext, @Arg('key') key: string): Promise<ApiKeyVerification> {
    return verifyKey(ctx.deps.store, { key });
  }

  @Mutation(() => GeneratedApiKey, { description: 'A key for the browser extension, bound to the caller.' })
  generateBrowserExtensionKey(@Ctx() ctx: GraphQLContext): Promise<GeneratedApiKey> {
    return this.generate(ctx, 'browser_extension');
  }

  @Query(() => [ApiKey], {
    complexity: listComplexity(50),
    description: "The caller's own (an admin's: everyone's); masked.",
  })
  async browserExtensionKeys(@Ctx() ctx: GraphQLContext): Promise<ApiKey[]> {
    const actor = requireActor(ctx);
    return (await listKeys(ctx.deps.db, 'browser_extension', actor.role === 'admin' ? null : actor.userId)).map(
      ApiKey.from,
    );
  }

  @Mutation(() => Boolean)
  revokeBrowserExtensionKey(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    return this.revoke(ctx, 'browser_extension', id);
  }

  private async invite(ctx: GraphQLContext, id: number, position: number): Promise<Invite> {
    await ctx.deps.progress.settle(position);
    const invite = await findInvite(ctx.deps.db, id);
    if (!invite) throw notFound();
    return Invite.from(invite);
  }

  @Mutation(() => Invite, { description: 'Admins and managers.' })
  async createInvite(
    @Ctx() ctx: GraphQLContext,
    @Arg('workspaceIds', () => [ID], { defaultValue: [] }) workspaceIds: string[],
  ): Promise<Invite> {
    const cmd = commandContextOf(ctx);
    // Ids that are not integers are left for the command's validation to refuse.
    const raw = { workspace_ids: workspaceIds.map((id) => (/^\d+$/.test(id) ? Number(id) : id)) };
    const { inviteId, position } = await withIdempotency(
      ctx.deps.store,
      cmd,
      `create-invite|${JSON.stringify(raw)}`,
      () => createInvite(ctx.deps.store, raw, cmd),
    );
    return this.invite(ctx, inviteId, position);
  }

  @Query(() => [Invite], { complexity: listComplexity(50), description: 'Admins and managers.' })
  async invites(
    @Ctx() ctx: GraphQLContext,
    @Arg('status', () => String, { nullable: true }) status?: string,
  ): Promise<Invite[]> {
    if (!isPrivileged(requireActor(ctx).role)) throw forbidden();
    const { results } = await listInvites(ctx.deps.db, status ? { status } : {}, {});
    return results.map(Invite.from);
  }

  @Mutation(() => Invite)
  async disableInvite(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Invite> {
    const { inviteId, position } = await disableInvite(ctx.deps.store, Number(id), commandContextOf(ctx));
    return this.invite(ctx, inviteId, position);
  }

  @Mutation(() => User, {
    description: "Public: creates a default user from an invite code, in the invite's workspaces.",
  })
  async claimInvite(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => ClaimInviteInput) input: ClaimInviteInput,
  ): Promise<User> {
    const raw = { code: input.code, username: input.username, password: input.password, email: input.email };
    const cmd = commandContextOf(ctx);
    const { userId, position } = await withIdempotency(
      ctx.deps.store,
      cmd,
      requestFingerprint('claim-invite', raw),
      () => claimInvite(ctx.deps.store, raw, cmd),
    );
    await ctx.deps.progress.settle(position);
    const user = await findUser(ctx.deps.db, userId);
    if (!user) throw notFound();
    return User.from(user);
  }
}
