import type { PubSub } from '../../infra/pubsub/port.js';
import { type ProgressNotice, PROJECTIONS_CHANNEL } from '../../projections/shared/notices.js';

type NoticeEvent = ProgressNotice['events'][number];

/**
 * What the projection runner announced, as an async stream for a GraphQL subscription: each event
 * the subscriber cares about is turned into a payload once the local read models include it.
 * Several projectors may announce the same position (one per process with an embedded read store),
 * so anything at or before the last position handled is dropped.
 */
export function noticeStream<T>(
  pubsub: PubSub,
  waitFor: (position: number) => Promise<boolean>,
  toPayload: (event: NoticeEvent) => Promise<T | null>,
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const queue: ProgressNotice[] = [];
      let wake: (() => void) | null = null;
      let done = false;
      let last = 0;
      const unsubscribe = pubsub.subscribe(PROJECTIONS_CHANNEL, (message) => {
        queue.push(message as ProgressNotice);
        wake?.();
      });
      const pending: T[] = [];

      async function next(): Promise<IteratorResult<T>> {
        await unsubscribe;
        while (!done) {
          if (pending.length) return { value: pending.shift()!, done: false };
          const notice = queue.shift();
          if (!notice) {
            await new Promise<void>((resolve) => (wake = resolve));
            wake = null;
            continue;
          }
          if (notice.position <= last) continue;
          await waitFor(notice.position);
          for (const event of notice.events) {
            if (event.position <= last) continue;
            last = event.position;
            const payload = await toPayload(event);
            if (payload !== null) pending.push(payload);
          }
        }
        return { value: undefined, done: true };
      }

      async function stop(): Promise<IteratorResult<T>> {
        done = true;
        wake?.();
        await (await unsubscribe)();
        return { value: undefined, done: true };
      }

      return { next, return: stop, throw: async (err) => { await stop(); throw err; } };
    },
  };
}
