import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { EmbedConfigView, EmbedSessionView } from '../../projections/embeds/queries.js';
import { DateTime } from '../shared/scalars.js';

@ObjectType()
export class EmbedConfig {
  @Field(() => ID) uuid!: string;
  @Field(() => ID) workspaceId!: number;
  @Field() enabled!: boolean;
  @Field() chatMode!: string;
  @Field(() => [String], { description: 'Hosts whose pages may use the widget; empty: any.' })
  allowlistDomains!: string[];
  @Field(() => Int, { nullable: true }) maxChatsPerDay!: number | null;
  @Field(() => Int, { nullable: true }) messageLimit!: number | null;
  @Field(() => DateTime) createdAt!: string;

  static from(c: EmbedConfigView): EmbedConfig {
    return Object.assign(new EmbedConfig(), {
      uuid: c.uuid,
      workspaceId: c.workspace,
      enabled: c.enabled,
      chatMode: c.chat_mode,
      allowlistDomains: c.allowlist_domains,
      maxChatsPerDay: c.max_chats_per_day,
      messageLimit: c.message_limit,
      createdAt: c.created_at,
    });
  }
}

@ObjectType()
export class EmbedCode {
  @Field() embedCode!: string;
  @Field(() => ID) uuid!: string;
  @Field(() => String, { nullable: true, description: "The workspace's name." }) workspace!: string | null;
}

@ObjectType()
export class EmbedSession {
  @Field() sessionId!: string;
  @Field(() => ID) embedConfig!: string;
  @Field(() => Int) chatCount!: number;
  @Field(() => DateTime) lastActivity!: string;

  static from(s: EmbedSessionView): EmbedSession {
    return Object.assign(new EmbedSession(), {
      sessionId: s.session_id,
      embedConfig: s.embed_uuid,
      chatCount: s.chat_count,
      lastActivity: s.last_activity,
    });
  }
}

@InputType()
class EmbedSettingsInput {
  @Field({ nullable: true }) enabled?: boolean;
  @Field({ nullable: true }) chatMode?: string;
  @Field(() => [String], { nullable: true }) allowlistDomains?: string[];
  @Field(() => Int, { nullable: true }) maxChatsPerDay?: number | null;
  @Field(() => Int, { nullable: true }) messageLimit?: number | null;
}

@InputType({ description: 'The workspace by id or by slug (one of them).' })
export class CreateEmbedConfigInput extends EmbedSettingsInput {
  @Field(() => ID, { nullable: true }) workspaceId?: string;
  @Field({ nullable: true }) workspaceSlug?: string;
}

@InputType()
export class UpdateEmbedConfigInput extends CreateEmbedConfigInput {}

/** GraphQL input to the wire shape the commands validate; fields left out stay out. */
export function toWireEmbedInput(input: CreateEmbedConfigInput): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  if (input.workspaceId !== undefined)
    wire.workspace = /^\d+$/.test(input.workspaceId) ? Number(input.workspaceId) : input.workspaceId;
  if (input.workspaceSlug !== undefined) wire.workspace = input.workspaceSlug;
  const map = {
    enabled: 'enabled',
    chatMode: 'chat_mode',
    allowlistDomains: 'allowlist_domains',
    maxChatsPerDay: 'max_chats_per_day',
    messageLimit: 'message_limit',
  } as const;
  for (const [field, key] of Object.entries(map)) {
    const value = input[field as keyof typeof map];
    if (value !== undefined) wire[key] = value;
  }
  return wire;
}
