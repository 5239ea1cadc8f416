import type { PubSub } from '../../infra/pubsub/port.js';

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
  const queue: unknown[] = [{ type: 'ready', chatId: null, userId: null }];
  let wake: (() => void) | null = null;
  let done = false;
  const unsubscribe = await pubsub.subscribe(chatStreamChannel(workspaceId), (message) => {
    queue.push(message);
    wake?.();
  });
  const iterator: AsyncIterableIterator<unknown> = {
    async next() {
      while (!done) {
        if (queue.length) return { value: queue.shift(), done: false };
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
      return { value: undefined, done: true };
    },
    async return() {
      if (!done) {
        done = true;
        wake?.();
        await unsubscribe();
      }
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
