import type { AgentEvent } from '../../domain/agents/events.js';
import { notFound } from '../../domain/shared/errors.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import type { Actor } from '../shared/context.js';
import { type AgentFrame, framesOf } from './frames.js';
import type { AgentInvocations } from './invocations.js';
import { agentStreamName } from './run-invocation.js';

/**
 * An invocation's frames for a subscriber that may come late or come back: first the frames of every
 * event recorded so far (a pending tool_call included), then the live ones, without a gap or a repeat,
 * until invocation_closed. Its owner and admins may follow it; to anyone else it does not exist.
 * Live frames come from this process: an invocation running in another one is replayed as far as recorded.
 */
export async function followInvocation(
  store: EventStore,
  invocations: AgentInvocations,
  actor: Actor,
  invocationId: string,
): Promise<AsyncIterableIterator<AgentFrame>> {
  const queue: { frame: AgentFrame; revision: number }[] = [];
  let wake: (() => void) | null = null;
  const running = invocations.find(invocationId);
  // Listening before reading: what is recorded meanwhile arrives live and is skipped if the read saw it.
  const stopListening = running?.listen((frame, revision) => {
    queue.push({ frame, revision });
    wake?.();
  });
  let recorded;
  try {
    recorded = (await store.readStream(agentStreamName(invocationId))) as unknown as {
      type: AgentEvent['type'];
      data: AgentEvent['data'];
      revision: number;
    }[];
  } catch (err) {
    stopListening?.();
    throw err;
  }
  const invoked = recorded[0];
  if (!invoked || invoked.type !== 'AgentInvoked') {
    stopListening?.();
    throw notFound();
  }
  const owner = (invoked.data as { userId: number }).userId;
  if (owner !== actor.userId && actor.role !== 'admin') {
    stopListening?.();
    throw notFound();
  }
  const replayed = recorded.flatMap((e) => framesOf(e as AgentEvent).map((frame) => ({ frame, revision: e.revision })));
  const lastReplayed = recorded.at(-1)!.revision;
  let closed = false;
  let done = false;
  const finish = () => {
    done = true;
    stopListening?.();
    wake?.();
  };
  // Not running here (closed, or elsewhere): the replay is all there is.
  if (!running) queue.length = 0;

  const iterator: AsyncIterableIterator<AgentFrame> = {
    async next() {
      for (;;) {
        if (done && !replayed.length) return { value: undefined, done: true };
        const item = replayed.shift();
        if (item) {
          if (item.frame.type === 'invocation_closed') closed = true;
          return { value: item.frame, done: false };
        }
        if (closed || !running) {
          finish();
          return { value: undefined, done: true };
        }
        const live = queue.shift();
        if (live) {
          if (live.revision <= lastReplayed) continue;
          if (live.frame.type === 'invocation_closed') closed = true;
          return { value: live.frame, done: false };
        }
        if (done) return { value: undefined, done: true };
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    },
    async return() {
      finish();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  // The invocation ending while nothing is queued: wake the reader so it sees the close frame (already queued) or ends.
  void running?.done.then(() => wake?.());
  return iterator;
}
