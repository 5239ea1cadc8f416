import { userDecider, type UserState } from '../../domain/identity/user.js';
import { quotaDecider } from '../../domain/chats/quota.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import { userStream } from '../identity/register.js';
import { type Actor, type CommandContext } from '../shared/context.js';
import { handleCommand } from '../shared/handle.js';
import { KeyedMutex } from '../shared/keyed-mutex.js';
import { stateCacheFor } from '../shared/state-cache.js';

export const quotaStream = (userId: number) => `chatquota-${userId}`;

// One user's chats are counted one at a time in this process, so simultaneous requests queue instead
// of racing into conflict retries; across processes the stream's expected revision still decides.
const counting = new KeyedMutex();

/** The user's daily_message_limit as the user's own stream says now (folding only what the cache has not seen). */
async function dailyLimitOf(store: EventStore, userId: number): Promise<number | null> {
  const stream = userStream(userId);
  const cache = stateCacheFor(store);
  const cached = cache.get(stream);
  const recorded = await store.readStream(stream, cached ? { fromRevision: cached.revision + 1 } : {});
  let state = (cached?.state as UserState | undefined) ?? userDecider.initialState();
  for (const e of recorded) state = userDecider.evolve(state, e as never);
  const last = recorded.at(-1);
  if (last) cache.set(stream, { state, revision: last.revision, position: last.position });
  return state.status === 'active' ? state.dailyMessageLimit : null;
}

/**
 * Counts one chat against the user's rolling 24-hour limit, or throws 429 having written nothing.
 * Admins are unlimited, but their chats are counted too, so a limit set later sees the day's use.
 */
export async function useChatQuota(store: EventStore, actor: Actor, ctx: CommandContext): Promise<void> {
  await counting.run(String(actor.userId), async () => {
    const limit = actor.role === 'admin' ? null : await dailyLimitOf(store, actor.userId);
    await handleCommand(
      store,
      quotaStream(actor.userId),
      quotaDecider,
      { type: 'UseQuota', userId: actor.userId, limit, now: ctx.now },
      ctx,
    );
  });
}
