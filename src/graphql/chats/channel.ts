import type { PubSub } from '../../infra/pubsub/port.js';
import { channelIterator } from '../shared/channel-iterator.js';

/** Where an answer's tokens are published for chatStream subscribers (over Redis, to every process). */
export const chatStreamChannel = (workspaceId: number) => `chronicle.chat-stream.${workspaceId}`;

export interface ChatStreamMessage {
  type: 'start' | 'token' | 'complete' | 'error';
  chatId: number;
  userId: number;
  token?: string;
  error?: string;
}

/**
 * The channel's messages, opened before it returns (so nothing published after is missed), led by a
 * `ready` message telling the subscriber it may start sending.
 */
export async function openChatStream(pubsub: PubSub, workspaceId: number): Promise<AsyncIterableIterator<unknown>> {
  const messages = channelIterator(pubsub, chatStreamChannel(workspaceId), [
    { type: 'ready', chatId: null, userId: null },
  ]);
  await messages.subscribed;
  return messages;
}
