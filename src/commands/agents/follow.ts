import type { AgentEvent } from '../../domain/agents/events.js';
import { CLOSE_GRACE_MS } from '../../domain/agents/invocation.js';
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
 * Live frames come from the invocation when it runs in this process, else from the event store (it may run
 * in another API process): until it closes, or until its time is up, when no process can still be running it.
 */
export async function followInvocation(
  store: EventStore,
  invocations: AgentInvocations,
  actor: Actor,
  invocationId: string,
): Promise<AsyncIterableIterator<AgentFrame>> {
  const queue: { frame: AgentFrame; revision: number }[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  const running = invocations.find(invocationId);
  const push = (frame: AgentFrame, revision: number) => {
    queue.push({ frame, revision });
    wake?.();
  };
  // Listening before reading: what is recorded meanwhile arrives live and is skipped if the read saw it.
  let stopListening = running?.listen(push);
  let recorded;
  let head = 0;
  try {
    // Not here: the store is followed from its head as it was before the read, for the same reason.
    if (!running) head = await store.headPosition();
    recorded = (await store.readStream(agentStreamName(invocationId))) as unknown as {
      type: AgentEvent['type'];
      data: AgentEvent['data'];
      revision: number;
      createdAt: Date;
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
  if (!running) {
    const endsBy = invoked.createdAt.getTime() + invocations.invocationTimeoutMs + CLOSE_GRACE_MS;
    const isClosed = recorded.some((e) => e.type === 'AgentInvocationClosed');
    if (!isClosed && endsBy > Date.now())
      stopListening = followStored(store, agentStreamName(invocationId), head, endsBy - Date.now(), push, () => {
        ended = true;
        wake?.();
      });
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

  const iterator: AsyncIterableIterator<AgentFrame> = {
    async next() {
      for (;;) {
        if (done && !replayed.length) return { value: undefined, done: true };
        const item = replayed.shift();
        if (item) {
          if (item.frame.type === 'invocation_closed') closed = true;
          return { value: item.frame, done: false };
        }
        if (closed || !stopListening) {
          finish();
          return { value: undefined, done: true };
        }
        const live = queue.shift();
        if (live) {
          if (live.revision <= lastReplayed) continue;
          if (live.frame.type === 'invocation_closed') closed = true;
          return { value: live.frame, done: false };
        }
        if (done || ended) {
          finish();
          return { value: undefined, done: true };
        }
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
  // Its end wakes a waiting reader: the close frame is queued by then (or, if it could not be recorded, nothing more comes).
  void running?.done.then(() => {
    ended = true;
    wake?.();
  });
  return iterator;
}

/** The event types that make frames (a tool's answer makes none). */
const FRAMED_TYPES = [
  'AgentInvoked',
  'AgentToolCalled',
  'AgentMessageSent',
  'AgentInvocationClosed',
] as const satisfies readonly AgentEvent['type'][];

/**
 * Frames of one invocation's stream as they are appended after `after`, by whichever process runs it;
 * `onEnd` once `forMs` has passed (the invocation cannot still be running). Answers what stops following.
 */
function followStored(
  store: EventStore,
  stream: string,
  after: number,
  forMs: number,
  push: (frame: AgentFrame, revision: number) => void,
  onEnd: () => void,
): () => void {
  const subscription = store.subscribeToAll(
    { after, types: FRAMED_TYPES },
    async (events) => {
      for (const event of events)
        if (event.streamName === stream)
          for (const frame of framesOf(event as unknown as AgentEvent)) push(frame, event.revision);
    },
    onEnd,
  );
  // setTimeout takes at most 2^31-1 ms (longer fires at once); it must not keep a stopping process up.
  const timer = setTimeout(onEnd, Math.min(forMs, 2 ** 31 - 1));
  timer.unref();
  return () => {
    clearTimeout(timer);
    void subscription.close();
  };
}
