/** In-process pub/sub for the embedded mode: one process, no broker. */
import type { MessageHandler, PubSub } from './port.js';

export class MemoryPubSub implements PubSub {
  private readonly channels = new Map<string, Set<MessageHandler>>();

  /** `onError` hears handler failures, with the channel as context. */
  constructor(private readonly onError: (err: unknown, context: string) => void = reportError) {}

  async publish(channel: string, message: unknown): Promise<void> {
    // A JSON copy behaves like Redis: handlers get their own plain data, never the sender's objects.
    const payload = JSON.stringify(message ?? null);
    const handlers = [...(this.channels.get(channel) ?? [])];
    // Delivered after the publisher's turn, as over a network, so a handler never runs inside
    // publish(); microtasks keep publish order.
    queueMicrotask(() => {
      for (const handler of handlers) {
        try {
          handler(JSON.parse(payload));
        } catch (err) {
          this.onError(err, channel);
        }
      }
    });
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    let handlers = this.channels.get(channel);
    if (!handlers) this.channels.set(channel, (handlers = new Set()));
    const entry = (message: unknown) => handler(message); // distinct per call, so the same handler may subscribe twice
    handlers.add(entry);
    return async () => {
      handlers.delete(entry);
      if (handlers.size === 0 && this.channels.get(channel) === handlers) this.channels.delete(channel);
    };
  }

  async close(): Promise<void> {
    this.channels.clear();
  }
}

function reportError(err: unknown, context: string): void {
  console.error(`pubsub (${context}):`, err);
}
