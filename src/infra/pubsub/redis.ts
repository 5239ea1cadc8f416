/** Pub/sub over Redis, so notifications cross processes (API, projector, worker). */
import type { Redis } from 'ioredis';
import { connectRedis } from '../redis/connect.js';
import type { MessageHandler, PubSub } from './port.js';

interface Channel {
  handlers: Set<MessageHandler>;
  /** Resolves once Redis has confirmed the SUBSCRIBE. */
  ready: Promise<unknown>;
}

export class RedisPubSub implements PubSub {
  private readonly channels = new Map<string, Channel>();

  /** A connection in subscriber mode can run no other command, hence two. */
  private constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly onError: ErrorReporter,
  ) {
    subscriber.on('message', (channel: string, raw: string) => this.deliver(channel, raw));
  }

  /** `onError` hears handler failures (context: the channel) and connection drops after startup. */
  static async connect(url: string, onError: ErrorReporter = reportError): Promise<RedisPubSub> {
    const publisher = await connectRedis(url, onError);
    try {
      return new RedisPubSub(publisher, await connectRedis(url, onError), onError);
    } catch (err) {
      publisher.disconnect();
      throw err;
    }
  }

  async publish(channel: string, message: unknown): Promise<void> {
    await this.publisher.publish(channel, JSON.stringify(message ?? null));
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    let entry = this.channels.get(channel);
    if (!entry) {
      const created: Channel = { handlers: new Set(), ready: this.subscriber.subscribe(channel) };
      created.ready.catch(() => {
        if (this.channels.get(channel) === created) this.channels.delete(channel);
      });
      this.channels.set(channel, created);
      entry = created;
    }
    const own = (message: unknown) => handler(message); // distinct per call, so the same handler may subscribe twice
    entry.handlers.add(own);
    try {
      await entry.ready;
    } catch (err) {
      entry.handlers.delete(own);
      throw err;
    }
    const subscribed = entry;
    return async () => {
      if (!subscribed.handlers.delete(own) || subscribed.handlers.size > 0) return;
      if (this.channels.get(channel) !== subscribed) return;
      this.channels.delete(channel);
      // Commands on one connection run in order, so a later SUBSCRIBE to this channel wins.
      await this.subscriber.unsubscribe(channel);
    };
  }

  async close(): Promise<void> {
    this.channels.clear();
    await Promise.allSettled([this.subscriber.quit(), this.publisher.quit()]);
  }

  private deliver(channel: string, raw: string): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch (err) {
      this.onError(err, channel);
      return;
    }
    // Errors must not escape into ioredis' socket handler.
    for (const handler of [...entry.handlers]) {
      try {
        handler(message);
      } catch (err) {
        this.onError(err, channel);
      }
    }
  }
}

type ErrorReporter = (err: unknown, context: string) => void;

function reportError(err: unknown, context: string): void {
  console.error(`redis pubsub (${context}):`, err);
}
