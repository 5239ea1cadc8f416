import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { deleteUser, updateUser } from '../../commands/identity/admin.js';
import { logIn, refreshSession } from '../../commands/identity/login.js';
import { changePassword, requestPasswordReset, resetPassword } from '../../commands/identity/passwords.js';
import { registerUser } from '../../commands/identity/register.js';
import { requestFingerprint, withIdempotency } from '../../commands/shared/idempotency.js';
import { isPrivileged } from '../../domain/identity/roles.js';
import { forbidden, notFound } from '../../domain/shared/errors.js';
import { containsAny } from '../../projections/shared/search.js';
import { findUser, listUsers } from '../../projections/users/queries.js';
import { searchListComplexity } from '../limits.js';
import { eraseUserAndPurge } from '../../transport/erase-user.js';
import { commandContextOf, type GraphQLContext, requireActor } from '../context.js';
import { AuthPayload, RegisterInput, TokenPair, UpdateUserInput, User } from './types.js';
import { AS_OF_DESCRIPTION, AsOf, readsAsOf } from '../shared/as-of.js';
import { PAST_USERS } from '../../projections/time-travel/reads.js';

/** GraphQL twin of the Authentication App and user administration; same commands, same rules. */
@Resolver()
export class IdentityResolver {
  private async user(ctx: GraphQLContext, id: number, position: number): Promise<User> {
    await ctx.deps.progress.settle(position);
    const user = await findUser(ctx.deps.db, id);
    if (!user) throw notFound();
    return User.from(user);
  }

  @Query(() => User)
  me(@Ctx() ctx: GraphQLContext): Promise<User> {
    return this.user(ctx, requireActor(ctx).userId, 0);
  }

  @Query(() => [User], { complexity: searchListComplexity(50) })
  async users(
    @Ctx() ctx: GraphQLContext,
    @Arg('search', () => String, { nullable: true }) search?: string,
    @Arg('limit', () => Int, { nullable: true }) limit?: number,
    @Arg('offset', () => Int, { nullable: true }) offset?: number,
    @Arg('asOf', () => AsOf, { nullable: true, description: AS_OF_DESCRIPTION }) asOf?: Date | null,
  ): Promise<User[]> {
    if (!isPrivileged(requireActor(ctx).role)) throw forbidden();
    const filter = search ? containsAny(search, 'search', ['username', 'email']) : {};
    const { results } = await listUsers(await readsAsOf(ctx, asOf, PAST_USERS), filter, {
      skip: offset ?? 0,
      ...(limit ? { limit: Math.min(limit, 1000) } : {}),
    });
    return results.map(User.from);
  }

  @Mutation(() => AuthPayload)
  async login(
    @Ctx() ctx: GraphQLContext,
    @Arg('username') username: string,
    @Arg('password') password: string,
  ): Promise<AuthPayload> {
    await ctx.deps.authRateLimit.consume(ctx.request.ip);
    const { access, refresh, userId, position } = await logIn(
      ctx.deps.store,
      ctx.deps.tokens,
      { username, password },
      commandContextOf(ctx),
    );
    return { access, refresh, user: await this.user(ctx, userId, position) };
  }

  @Mutation(() => TokenPair)
  refreshToken(@Ctx() ctx: GraphQLContext, @Arg('refresh') refresh: string): Promise<TokenPair> {
    return refreshSession(ctx.deps.store, ctx.deps.tokens, { refresh }, commandContextOf(ctx));
  }

  @Mutation(() => User)
  async register(@Ctx() ctx: GraphQLContext, @Arg('input', () => RegisterInput) input: RegisterInput): Promise<User> {
    const raw = {
      username: input.username,
      email: input.email,
      password: input.password,
      password_confirm: input.passwordConfirm,
    };
    const cmd = commandContextOf(ctx);
    const { userId, position } = await withIdempotency(ctx.deps.store, cmd, requestFingerprint('register', raw), () =>
      registerUser(ctx.deps.store, raw, cmd),
    );
    return this.user(ctx, userId, position);
  }

  @Mutation(() => Boolean, { description: 'Ends every session; log in again with the new password.' })
  async changePassword(
    @Ctx() ctx: GraphQLContext,
    @Arg('oldPassword') oldPassword: string,
    @Arg('newPassword') newPassword: string,
    @Arg('newPasswordConfirm') newPasswordConfirm: string,
  ): Promise<boolean> {
    requireActor(ctx);
    const raw = { old_password: oldPassword, new_password: newPassword, new_password_confirm: newPasswordConfirm };
    const { position } = await changePassword(ctx.deps.store, raw, commandContextOf(ctx));
    await ctx.deps.progress.settle(position);
    return true;
  }

  @Mutation(() => Boolean, { description: 'Always true, whether or not the user exists.' })
  async requestPasswordReset(@Ctx() ctx: GraphQLContext, @Arg('username') username: string): Promise<boolean> {
    await ctx.deps.authRateLimit.consume(ctx.request.ip);
    await requestPasswordReset(ctx.deps.store, ctx.deps.tokens, { username }, commandContextOf(ctx));
    return true;
  }

  @Mutation(() => Boolean)
  async resetPassword(
    @Ctx() ctx: GraphQLContext,
    @Arg('token') token: string,
    @Arg('newPassword') newPassword: string,
    @Arg('newPasswordConfirm') newPasswordConfirm: string,
  ): Promise<boolean> {
    await ctx.deps.authRateLimit.consume(ctx.request.ip);
    const raw = { token, new_password: newPassword, new_password_confirm: newPasswordConfirm };
    const { position } = await resetPassword(ctx.deps.store, raw, commandContextOf(ctx));
    await ctx.deps.progress.settle(position);
    return true;
  }

  @Mutation(() => User)
  async updateUser(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateUserInput) input: UpdateUserInput,
  ): Promise<User> {
    const userId = Number(id);
    const raw: Record<string, unknown> = {};
    if (input.role !== undefined) raw.role = input.role;
    if (input.suspended !== undefined) raw.suspended = input.suspended;
    if (input.dailyMessageLimit !== undefined) raw.daily_message_limit = input.dailyMessageLimit;
    const { position } = await updateUser(ctx.deps.store, userId, raw, commandContextOf(ctx));
    return this.user(ctx, userId, position);
  }

  @Mutation(() => Boolean)
  async deleteUser(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    const { position } = await deleteUser(ctx.deps.store, Number(id), commandContextOf(ctx));
    await ctx.deps.progress.settle(position);
    return true;
  }

  @Mutation(() => Boolean, {
    description:
      'Erases a user (admins): their personal data in every event reads "[erased]" from then on, their username and email are free again',
  })
  async eraseUser(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<boolean> {
    await eraseUserAndPurge(ctx.deps, Number(id), commandContextOf(ctx));
    return true;
  }
}
