import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { AgentFrame } from '../../commands/agents/frames.js';
import type { AgentInvocationView, AgentStepView } from '../../projections/agent-invocations/queries.js';
import { DateTime, JSON, JSONObject } from '../shared/scalars.js';

@InputType({ description: 'A tool the client declares and runs itself: it answers each call with respondToToolCall.' })
export class AgentToolInput {
  @Field({ description: 'Letters, digits, _ and -; at most 64.' }) name!: string;
  @Field({ nullable: true }) description?: string;
  @Field(() => JSONObject, { description: 'A JSON Schema object describing the arguments.' })
  parameters!: Record<string, unknown>;
}

@InputType()
export class InvokeAgentInput {
  @Field() workspaceSlug!: string;
  @Field() message!: string;
  @Field(() => [AgentToolInput], { nullable: true }) tools?: AgentToolInput[];
  @Field(() => ID, { nullable: true, description: 'A UUID of your choosing; one is made when left out.' })
  invocationId?: string;
}

@ObjectType({
  description:
    'A frame of an invocation, as the Agent WebSocket sends it: invocation_started, agent_message, tool_call, invocation_closed or error.',
})
export class AgentFrameEvent {
  @Field() type!: string;
  @Field(() => ID, { nullable: true }) invocationId!: string | null;
  @Field(() => String, { nullable: true }) content!: string | null;
  @Field(() => Boolean, { nullable: true }) final!: boolean | null;
  @Field(() => String, { nullable: true }) callId!: string | null;
  @Field(() => String, { nullable: true }) name!: string | null;
  @Field(() => JSONObject, { nullable: true }) arguments!: Record<string, unknown> | null;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field(() => String, { nullable: true }) error!: string | null;

  static from(frame: AgentFrame): AgentFrameEvent {
    const f = frame as Partial<Record<string, unknown>>;
    return Object.assign(new AgentFrameEvent(), {
      type: frame.type,
      invocationId: f.invocation_id ?? null,
      content: f.content ?? null,
      final: f.final ?? null,
      callId: f.call_id ?? null,
      name: f.name ?? null,
      arguments: f.arguments ?? null,
      reason: f.reason ?? null,
      error: f.error ?? null,
    });
  }
}

@ObjectType({ description: 'A step of an invocation: a tool call, a tool answer, or a message.' })
export class AgentStep {
  @Field({ description: 'tool_call, tool_response or message.' }) kind!: string;
  @Field(() => String, { nullable: true }) callId!: string | null;
  @Field(() => String, { nullable: true }) name!: string | null;
  @Field(() => JSONObject, { nullable: true }) arguments!: Record<string, unknown> | null;
  @Field(() => String, { nullable: true, description: 'server or client.' }) side!: string | null;
  @Field(() => String, { nullable: true }) result!: string | null;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => Boolean, { nullable: true }) truncated!: boolean | null;
  @Field(() => String, { nullable: true }) content!: string | null;
  @Field(() => Boolean, { nullable: true }) final!: boolean | null;
  @Field(() => String, { nullable: true }) tool!: string | null;
  @Field(() => Int, { nullable: true }) step!: number | null;
  @Field(() => DateTime) at!: string;

  static from(s: AgentStepView): AgentStep {
    const v = s as Partial<Record<string, unknown>>;
    return Object.assign(new AgentStep(), {
      kind: s.kind,
      callId: v.call_id ?? null,
      name: v.name ?? null,
      arguments: v.arguments ?? null,
      side: v.side ?? null,
      result: v.result ?? null,
      error: v.error ?? null,
      truncated: v.truncated ?? null,
      content: v.content ?? null,
      final: v.final ?? null,
      tool: v.tool ?? null,
      step: v.step ?? null,
      at: s.at,
    });
  }
}

@ObjectType()
export class AgentTokens {
  @Field(() => Int) input!: number;
  @Field(() => Int) output!: number;
}

@ObjectType({ description: 'An agent invocation as recorded, with its steps in order.' })
export class AgentInvocation {
  @Field(() => ID) id!: string;
  @Field(() => ID) workspaceId!: number;
  @Field(() => ID) userId!: number;
  @Field() message!: string;
  @Field(() => JSON, { description: "The client's declared tools." }) tools!: unknown;
  @Field() status!: string;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field(() => Int) stepCount!: number;
  @Field(() => AgentTokens, { nullable: true }) tokens!: AgentTokens | null;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => DateTime) createdAt!: string;
  @Field(() => DateTime, { nullable: true }) closedAt!: string | null;
  @Field(() => [AgentStep]) steps!: AgentStep[];

  static from(v: AgentInvocationView): AgentInvocation {
    return Object.assign(new AgentInvocation(), {
      id: v.id,
      workspaceId: v.workspace,
      userId: v.user,
      message: v.message,
      tools: v.tools,
      status: v.status,
      reason: v.reason,
      stepCount: v.step_count,
      tokens: v.tokens && Object.assign(new AgentTokens(), v.tokens),
      error: v.error,
      createdAt: v.created_at,
      closedAt: v.closed_at,
      steps: (v.steps ?? []).map(AgentStep.from),
    });
  }
}
