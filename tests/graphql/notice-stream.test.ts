import { noticeStream } from '../../src/graphql/shared/notice-stream.js';
import { MemoryPubSub } from '../../src/infra/pubsub/memory.js';
import { type ProgressNotice, PROJECTIONS_CHANNEL } from '../../src/projections/shared/notices.js';
import { ProjectionProgress } from '../../src/projections/shared/progress.js';

const notice = (position: number, stream = 'workspace-1'): ProgressNotice => ({
  position,
  events: [{ position, type: 'WorkspaceUpdated', stream, actorId: null, occurredAt: new Date(0).toISOString() }],
});

describe('noticeStream: a subscription source fed by the projection notices', () => {
  it('given a subscription, while it runs it follows the progress (the runner then tells one write at a time), and no longer once it is closed', async () => {
    const pubsub = new MemoryPubSub();
    const progress = new ProjectionProgress();
    const stream = noticeStream(pubsub, progress, async (event) =>
      event.stream === 'workspace-1' ? event.position : null,
    );
    expect(progress.followed).toBe(false);

    const first = stream.next(); // the generator starts: subscribed, following
    await new Promise((resolve) => setImmediate(resolve));
    expect(progress.followed).toBe(true);

    progress.advance(3);
    await pubsub.publish(PROJECTIONS_CHANNEL, notice(2, 'workspace-2'));
    await pubsub.publish(PROJECTIONS_CHANNEL, notice(3));
    expect(await first).toEqual({ done: false, value: 3 });

    await stream.return(undefined);
    expect(progress.followed).toBe(false);
  });

  it('given two subscriptions, when one closes, then the progress is still followed by the other', async () => {
    const pubsub = new MemoryPubSub();
    const progress = new ProjectionProgress();
    const [a, b] = [1, 2].map(() => noticeStream(pubsub, progress, async (event) => event.position));
    const pending = [a.next(), b.next()];
    await new Promise((resolve) => setImmediate(resolve));
    progress.advance(1);
    await pubsub.publish(PROJECTIONS_CHANNEL, notice(1));
    expect((await Promise.all(pending)).map((r) => r.value)).toEqual([1, 1]);

    await a.return(undefined);
    expect(progress.followed).toBe(true);
    await b.return(undefined);
    expect(progress.followed).toBe(false);
  });
});
