import type { PubSub } from '../../infra/pubsub/port.js';

/**
 * The messages of one pub/sub channel as an async iterator, after any `lead` messages; return()
 * unsubscribes. `subscribed` resolves once the channel listens (nothing published after is missed).
 */
export function channelIterator(
  pubsub: PubSub,
  channel: string,
  lead: unknown[] = [],
): AsyncIterableIterator<unknown> & { subscribed: Promise<unknown> } {
  const queue: unknown[] = [...lead];
  let wake: (() => void) | null = null;
  let done = false;
  const subscribed = pubsub.subscribe(channel, (message) => {
    queue.push(message);
    wake?.();
  });

  const iterator = {
    subscribed,
    async next(): Promise<IteratorResult<unknown>> {
      await subscribed;
      while (!done) {
        if (queue.length) return { value: queue.shift(), done: false };
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
      return { value: undefined, done: true };
    },
    async return(): Promise<IteratorResult<unknown>> {
      if (!done) {
        done = true;
        wake?.();
        await (
          await subscribed
        )();
      }
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** type-graphql wants a PubSub for subscriptions: ours, so topics cross processes when Redis is configured. */
export const typeGraphqlPubSub = (pubsub: PubSub) => ({
  publish: (routingKey: string, payload: unknown) => void pubsub.publish(routingKey, payload),
  subscribe: (routingKey: string) => channelIterator(pubsub, routingKey),
});
