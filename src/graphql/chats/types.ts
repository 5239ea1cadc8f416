import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { ChatSourceView, ChatView } from '../../projections/chats/queries.js';
import { DateTime } from '../shared/scalars.js';

@ObjectType({
  description: 'A passage an answer drew on: a chunk of a document, or a pinned document whole (chunk null).',
})
export class ChatSource {
  @Field(() => ID) documentId!: number;
  @Field() filename!: string;
  @Field(() => Int, { nullable: true }) chunk!: number | null;
  @Field(() => Float) score!: number;

  static from(s: ChatSourceView): ChatSource {
    return Object.assign(new ChatSource(), {
      documentId: s.document_id,
      filename: s.filename,
      chunk: s.chunk,
      score: s.score,
    });
  }
}

@ObjectType()
export class Chat {
  @Field(() => ID) id!: number;
  @Field() prompt!: string;
  @Field() response!: string;
  @Field(() => ID) workspaceId!: number;
  @Field(() => ID, { nullable: true }) threadId!: number | null;
  @Field(() => ID) userId!: number;
  @Field() mode!: string;
  @Field(() => Boolean, { nullable: true }) feedback!: boolean | null;
  @Field(() => String, { nullable: true }) comment!: string | null;
  @Field(() => [ChatSource]) sources!: ChatSource[];
  @Field(() => DateTime) createdAt!: string;

  static from(c: ChatView): Chat {
    return Object.assign(new Chat(), {
      id: c.id,
      prompt: c.prompt,
      response: c.response,
      workspaceId: c.workspace,
      threadId: c.thread,
      userId: c.user,
      mode: c.mode,
      feedback: c.feedback,
      comment: c.comment,
      sources: c.sources.map(ChatSource.from),
      createdAt: c.created_at,
    });
  }
}

@InputType({ description: 'A text file sent with the message; its text goes to the model after the message.' })
export class ChatAttachmentInput {
  @Field() name!: string;
  @Field({ nullable: true }) mime?: string;
  @Field() contentString!: string;
}

@InputType()
export class SendChatInput {
  @Field() workspaceSlug!: string;
  @Field() message!: string;
  @Field({ nullable: true, description: "chat or query; the workspace's chat mode when left out." }) mode?: string;
  @Field(() => ID, { nullable: true }) threadId?: string | null;
  @Field(() => [ChatAttachmentInput], { nullable: true }) attachments?: ChatAttachmentInput[];
}

@ObjectType({
  description:
    'A moment of an answer being streamed: start, token, complete or error; first of all `ready` (no chat), once the subscription listens.',
})
export class ChatStreamEvent {
  @Field() type!: string;
  @Field(() => ID, { nullable: true }) chatId!: number | null;
  @Field(() => ID, { nullable: true, description: 'Who asked.' }) userId!: number | null;
  @Field(() => String, { nullable: true }) token!: string | null;
  @Field(() => String, { nullable: true }) error!: string | null;
}

@ObjectType({
  description: 'An export file. json, csv and txt come as text (encoding utf8); pdf as base64 (encoding base64).',
})
export class ChatExport {
  @Field() filename!: string;
  @Field() contentType!: string;
  @Field() encoding!: string;
  @Field() content!: string;
}
