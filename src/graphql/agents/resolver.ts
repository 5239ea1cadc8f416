import { Arg, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { AgentFrame } from '../../commands/agents/frames.js';
import { followInvocation } from '../../commands/agents/follow.js';
import { requestFingerprint, withIdempotency } from '../../commands/shared/idempotency.js';
import { findAgentInvocation, listAgentInvocations } from '../../projections/agent-invocations/queries.js';
import { commandContextOf, type GraphQLContext, requireActor } from '../context.js';
import { CHAT_COMPLEXITY, listComplexity } from '../limits.js';
import { JSON } from '../shared/scalars.js';
import { AgentFrameEvent, AgentInvocation, InvokeAgentInput } from './types.js';

/**
 * GraphQL twin of the Agent WebSocket: invokeAgent starts an invocation and returns its id; its frames
 * (the socket's, in the same order) come over the agentInvocation subscription, which replays what was
 * recorded before it subscribed. Client tools are answered with respondToToolCall.
 */
@Resolver()
export class AgentResolver {
  @Mutation(() => ID, {
    complexity: CHAT_COMPLEXITY,
    description:
      'Starts an agent invocation; returns its id. Sent again with the same Idempotency-Key header, it ' +
      'answers the first id and starts nothing.',
  })
  async invokeAgent(
    @Ctx() ctx: GraphQLContext,
    @Arg('input', () => InvokeAgentInput) input: InvokeAgentInput,
  ): Promise<string> {
    requireActor(ctx);
    const cmd = commandContextOf(ctx);
    const wire = {
      message: input.message,
      tools: input.tools?.map((t) => ({ ...t })),
      ...(input.invocationId ? { invocation_id: input.invocationId } : {}),
    };
    const fingerprint = requestFingerprint('invoke-agent', { workspace_slug: input.workspaceSlug, ...wire });
    // Only the id is recorded: a retry answers it while the first run goes on, or after it closed.
    return withIdempotency(ctx.deps.store, cmd, fingerprint, async () => {
      const invocation = await ctx.deps.agentInvocations.invoke(wire, input.workspaceSlug, cmd, () => {});
      return invocation.invocationId;
    });
  }

  @Mutation(() => Boolean, { description: "Answers one of your invocation's tool calls with a result or an error." })
  async respondToToolCall(
    @Ctx() ctx: GraphQLContext,
    @Arg('invocationId', () => ID) invocationId: string,
    @Arg('callId') callId: string,
    @Arg('result', () => JSON, { nullable: true }) result?: unknown,
    @Arg('error', () => String, { nullable: true }) error?: string | null,
  ): Promise<boolean> {
    // Over HTTP the request may reach another process than the invocation's: it is handed over there.
    await ctx.deps.remoteInvocations.respond(requireActor(ctx), {
      invocation_id: invocationId,
      call_id: callId,
      ...(result !== undefined && result !== null ? { result } : {}),
      ...(error !== undefined && error !== null ? { error } : {}),
    });
    return true;
  }

  @Mutation(() => Boolean, { description: 'Cancels one of your running invocations (reason closed).' })
  async closeAgentInvocation(
    @Ctx() ctx: GraphQLContext,
    @Arg('invocationId', () => ID) invocationId: string,
  ): Promise<boolean> {
    await ctx.deps.remoteInvocations.close(requireActor(ctx), invocationId);
    return true;
  }

  @Subscription(() => AgentFrameEvent, {
    description: "An invocation's frames: those recorded so far first, then the live ones, until invocation_closed.",
    subscribe: async ({ args, context }) => {
      const ctx = context as GraphQLContext;
      return followInvocation(ctx.deps.store, ctx.deps.agentInvocations, requireActor(ctx), String(args.invocationId));
    },
  })
  agentInvocation(@Root() frame: AgentFrame, @Arg('invocationId', () => ID) _invocationId: string): AgentFrameEvent {
    return AgentFrameEvent.from(frame);
  }

  @Query(() => AgentInvocation, { name: 'agentInvocation', nullable: true })
  async agentInvocationById(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
  ): Promise<AgentInvocation | null> {
    const found = await findAgentInvocation(ctx.deps.db, requireActor(ctx), id);
    return found && AgentInvocation.from(found);
  }

  @Query(() => [AgentInvocation], { complexity: listComplexity(20), description: "Yours, or everyone's for an admin." })
  async agentInvocations(
    @Ctx() ctx: GraphQLContext,
    @Arg('workspaceId', () => ID, { nullable: true }) workspaceId?: string | null,
    @Arg('limit', () => Int, { nullable: true }) limit?: number,
    @Arg('offset', () => Int, { nullable: true }) offset?: number,
  ): Promise<AgentInvocation[]> {
    const filter = workspaceId ? { workspace: Number(workspaceId) } : {};
    const { results } = await listAgentInvocations(ctx.deps.db, requireActor(ctx), filter, {
      skip: Math.max(0, offset ?? 0),
      ...(limit ? { limit: Math.min(Math.max(1, limit), 1000) } : {}),
    });
    return results.map(AgentInvocation.from);
  }
}
