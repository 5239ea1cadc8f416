import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { ThreadView } from '../../projections/threads/queries.js';
import type { WorkspaceView } from '../../projections/workspaces/queries.js';
import { DateTime } from '../shared/scalars.js';
import type { Loaders } from '../shared/loaders.js';

@ObjectType()
export class Thread {
  @Field(() => ID) id!: number;
  @Field() name!: string;
  @Field() slug!: string;
  @Field(() => ID) workspaceId!: number;
  @Field(() => ID) userId!: number;
  @Field(() => DateTime) createdAt!: string;

  static from(t: ThreadView): Thread {
    return Object.assign(new Thread(), {
      id: t.id,
      name: t.name,
      slug: t.slug,
      workspaceId: t.workspace,
      userId: t.user,
      createdAt: t.created_at,
    });
  }
}

@ObjectType()
export class Workspace {
  @Field(() => ID) id!: number;
  @Field() slug!: string;
  @Field() name!: string;
  @Field() chatMode!: string;
  @Field(() => String, { nullable: true }) chatProvider!: string | null;
  @Field(() => String, { nullable: true }) chatModel!: string | null;
  @Field(() => Float) openaiTemp!: number;
  @Field(() => String, { nullable: true }) openaiPrompt!: string | null;
  @Field(() => Int) topN!: number;
  @Field(() => Float) similarityThreshold!: number;
  @Field(() => Int) chatHistory!: number;
  @Field() queryRefusalResponse!: string;
  @Field(() => Int) userCount!: number;
  @Field(() => Int) documentCount!: number;
  @Field(() => DateTime) createdAt!: string;
  @Field(() => DateTime) updatedAt!: string;
  /** Member ids, resolved to users by a batched field resolver. */
  memberIds!: number[];
  /** Set when read as of a past moment: nested fields read that past too. */
  pastLoaders?: Loaders;

  static from(w: WorkspaceView): Workspace {
    return Object.assign(new Workspace(), {
      id: w.id,
      slug: w.slug,
      name: w.name,
      chatMode: w.chat_mode,
      chatProvider: w.chat_provider,
      chatModel: w.chat_model,
      openaiTemp: w.openai_temp,
      openaiPrompt: w.openai_prompt,
      topN: w.top_n,
      similarityThreshold: w.similarity_threshold,
      chatHistory: w.chat_history,
      queryRefusalResponse: w.query_refusal_response,
      userCount: w.user_count,
      documentCount: w.document_count,
      createdAt: w.created_at,
      updatedAt: w.updated_at,
      memberIds: w.members,
    });
  }
}

@InputType()
class WorkspaceSettingsInput {
  @Field({ nullable: true }) chatMode?: string;
  @Field(() => String, { nullable: true }) chatProvider?: string | null;
  @Field(() => String, { nullable: true }) chatModel?: string | null;
  @Field(() => String, { nullable: true }) openaiPrompt?: string | null;
  @Field(() => Float, { nullable: true }) openaiTemp?: number;
  @Field(() => Int, { nullable: true }) topN?: number;
  @Field(() => Float, { nullable: true }) similarityThreshold?: number;
  @Field(() => Int, { nullable: true }) chatHistory?: number;
  @Field({ nullable: true }) queryRefusalResponse?: string;
}

@InputType()
export class CreateWorkspaceInput extends WorkspaceSettingsInput {
  @Field() name!: string;
}

@InputType()
export class UpdateWorkspaceInput extends WorkspaceSettingsInput {
  @Field({ nullable: true }) name?: string;
}

/** The API's snake_case body for the same command REST takes; fields left out stay out. */
export function toWireInput(input: Partial<CreateWorkspaceInput>): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    name: input.name,
    chat_mode: input.chatMode,
    chat_provider: input.chatProvider,
    chat_model: input.chatModel,
    openai_prompt: input.openaiPrompt,
    openai_temp: input.openaiTemp,
    top_n: input.topN,
    similarity_threshold: input.similarityThreshold,
    chat_history: input.chatHistory,
    query_refusal_response: input.queryRefusalResponse,
  };
  for (const k of Object.keys(wire)) if (wire[k] === undefined) delete wire[k];
  return wire;
}

@ObjectType({ description: 'A change to a workspace, pushed once the read models include it.' })
export class WorkspaceEvent {
  @Field({ description: 'The event type, e.g. WorkspaceUpdated' }) type!: string;
  @Field(() => Int) position!: number;
  @Field(() => DateTime) occurredAt!: string;
  @Field(() => Workspace, { nullable: true, description: 'The workspace as it is now; null once deleted' })
  workspace!: Workspace | null;
}
