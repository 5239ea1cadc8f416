import { Arg, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { currentSetting, updateSetting } from '../../commands/system/settings.js';
import { isBookkeepingStream } from '../../domain/shared/bookkeeping.js';
import { forbidden } from '../../domain/shared/errors.js';
import type { Filter } from '../../infra/readstore/port.js';
import { listSettings } from '../../projections/settings/queries.js';
import { countUsers } from '../../projections/users/queries.js';
import { commandContextOf, type GraphQLContext, requireActor } from '../context.js';
import { DateTime, JSON } from '../shared/scalars.js';
import { listComplexity } from '../limits.js';
import { noticeStream } from '../shared/notice-stream.js';
import { AuditEvent, EventLog, Setting, SetupState } from './types.js';
import { AS_OF_DESCRIPTION, AsOf, readsAsOf } from '../shared/as-of.js';
import { PAST_SETTINGS } from '../../projections/time-travel/reads.js';

function requireAdmin(ctx: GraphQLContext) {
  if (requireActor(ctx).role !== 'admin') throw forbidden();
}

const toSetting = (s: { label: string; value: unknown; updated_at: string | null }) =>
  Object.assign(new Setting(), { label: s.label, value: s.value, updatedAt: s.updated_at });

/** GraphQL twin of the System Settings App, and the live audit log. */
@Resolver()
export class SystemResolver {
  @Query(() => SetupState)
  async setupComplete(@Ctx() ctx: GraphQLContext): Promise<SetupState> {
    const [userCount, allowRegistration] = await Promise.all([
      countUsers(ctx.deps.db),
      currentSetting(ctx.deps.store, 'allow_registration'),
    ]);
    return {
      setupComplete: userCount > 0,
      multiUserMode: true,
      allowRegistration: allowRegistration as boolean,
      userCount,
    };
  }

  @Query(() => [Setting])
  async settings(
    @Ctx() ctx: GraphQLContext,
    @Arg('asOf', () => AsOf, { nullable: true, description: AS_OF_DESCRIPTION }) asOf?: Date | null,
  ): Promise<Setting[]> {
    requireAdmin(ctx);
    return (await listSettings(await readsAsOf(ctx, asOf, PAST_SETTINGS))).map(toSetting);
  }

  @Mutation(() => Setting)
  async updateSetting(
    @Ctx() ctx: GraphQLContext,
    @Arg('label') label: string,
    @Arg('value', () => JSON) value: unknown,
  ): Promise<Setting> {
    const { position } = await updateSetting(ctx.deps.store, label, { value }, commandContextOf(ctx));
    await ctx.deps.progress.settle(position);
    return toSetting((await listSettings(ctx.deps.db)).find((s) => s.label === label)!);
  }

  @Query(() => [EventLog], { complexity: listComplexity(100) })
  async eventLogs(
    @Ctx() ctx: GraphQLContext,
    @Arg('event', () => String, { nullable: true }) event?: string,
    @Arg('userId', () => ID, { nullable: true }) userId?: string,
    @Arg('fromDate', () => DateTime, { nullable: true }) fromDate?: Date,
    @Arg('toDate', () => DateTime, { nullable: true }) toDate?: Date,
    @Arg('limit', () => Int, { nullable: true }) limit?: number,
    @Arg('offset', () => Int, { nullable: true }) offset?: number,
  ): Promise<EventLog[]> {
    requireAdmin(ctx);
    const filter: Filter = {};
    if (event) filter.event = event;
    if (userId != null) filter.user_id = Number(userId);
    if (fromDate || toDate) {
      filter.occurred_at = {
        ...(fromDate ? { $gte: fromDate.toISOString() } : {}),
        ...(toDate ? { $lte: toDate.toISOString() } : {}),
      };
    }
    const { results } = await ctx.deps.eventLogs.list(filter, {
      skip: Math.max(0, offset ?? 0),
      limit: Math.min(Math.max(1, limit ?? 100), 1000),
    });
    return results.map(EventLog.from);
  }

  @Subscription(() => AuditEvent, {
    description: 'Every event as it is recorded (admins only); `types` keeps only those names or types.',
    subscribe: ({ args, context }) => {
      const ctx = context as GraphQLContext;
      requireAdmin(ctx);
      const types = (args.types as string[] | null | undefined) ?? null;
      return noticeStream(ctx.deps.pubsub, ctx.deps.progress, async (event) => {
        if (isBookkeepingStream(event.stream)) return null;
        const entry = await ctx.deps.eventLogs.find(event.position);
        if (!entry || (types && !types.includes(entry.event) && !types.includes(entry.type))) return null;
        return AuditEvent.from(entry);
      });
    },
  })
  auditLog(@Root() entry: AuditEvent, @Arg('types', () => [String], { nullable: true }) _types?: string[]): AuditEvent {
    return entry;
  }
}
