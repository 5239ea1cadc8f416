import type { PubSub } from '../../infra/pubsub/port.js';
import { type ProgressNotice, PROJECTIONS_CHANNEL } from '../../projections/shared/notices.js';
import type { ProjectionProgress } from '../../projections/shared/progress.js';
import { channelIterator } from './channel-iterator.js';

type NoticeEvent = ProgressNotice['events'][number];

/**
 * What the projection runner announced, as the source stream of a GraphQL subscription: each event
 * the subscriber cares about becomes a payload once the local read models include it. Several
 * projectors may announce the same position (one per process with an embedded read store), so
 * anything at or before the last position handled is dropped. While it runs it follows the progress, so
 * that each write is told (and pushed) before the next one is answered.
 */
export async function* noticeStream<T>(
  pubsub: PubSub,
  progress: Pick<ProjectionProgress, 'waitFor' | 'follow'>,
  toPayload: (event: NoticeEvent) => Promise<T | null>,
): AsyncGenerator<T> {
  const notices = channelIterator(pubsub, PROJECTIONS_CHANNEL);
  const unfollow = progress.follow();
  let last = 0;
  try {
    for await (const message of notices) {
      const notice = message as ProgressNotice;
      if (notice.position <= last) continue;
      await progress.waitFor(notice.position);
      for (const event of notice.events) {
        if (event.position <= last) continue;
        last = event.position;
        const payload = await toPayload(event);
        if (payload !== null) yield payload;
      }
    }
  } finally {
    unfollow();
    await notices.return!();
  }
}
