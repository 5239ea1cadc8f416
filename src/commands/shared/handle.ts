import type { Decider, DomainEvent } from '../../domain/shared/decider.js';
import { ConcurrencyError, type EventStore, type RecordedEvent } from '../../infra/eventstore/port.js';
import { type CommandContext, metadataFor } from './context.js';
import { eventId } from './event-ids.js';
import { retryOnConflict } from './retry.js';
import { type CachedState, stateCacheFor } from './state-cache.js';

export interface CommandResult<State, Event extends DomainEvent> {
  state: State;
  /** The events this command appended (or had appended before, when retried with the same id). */
  events: Event[];
  /** Global position of the last event written; read models have caught up once they pass it. */
  position: number;
}

type CommandFactory<State, Command> = Command | ((state: State) => Command | Promise<Command>);

/**
 * Load the stream, fold it, decide, append at the revision read. Optimistic concurrency retries the
 * whole cycle, so a command is always decided on the state it is appended after.
 *
 * With a cached fold the first attempt reads nothing: it decides on the fold and appends expecting the
 * fold's revision, which the store refuses (ConcurrencyError) if the stream moved since — another process
 * appended, or another request here did first. A decision that appends nothing (no events, or an error) has
 * no append to check it, so the stream is read then. Only when the fold turns out stale does the command run
 * again, on the stream as it is now, at once (a stale cache is not contention: no backoff, no attempt used).
 */
export function handleCommand<State, Command, Event extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<State, Command, Event>,
  command: CommandFactory<State, Command>,
  ctx: CommandContext,
): Promise<CommandResult<State, Event>> {
  const cache = stateCacheFor(store);
  const isFactory = typeof command === 'function';
  const resolve = (state: State) =>
    isFactory ? (command as (s: State) => Command | Promise<Command>)(state) : (command as Command);

  /** Appends `events`, decided on `state` at `revision`; answers the result, the cache updated. */
  async function append(
    state: State,
    events: Event[],
    revision: number | undefined,
  ): Promise<CommandResult<State, Event>> {
    const metadata = metadataFor(ctx);
    const appended = await store.appendToStream(
      stream,
      events.map((e, i) => ({ id: eventId(ctx.commandId, stream, i), type: e.type, data: e.data, metadata })),
      revision ?? 'no_stream',
    );
    const next = events.reduce(decider.evolve, state);
    cache.set(stream, { state: next, revision: appended.nextExpectedRevision, position: appended.position });
    return { state: next, events, position: appended.position };
  }

  /** Whether anything was appended to the stream after `revision`. */
  const movedSince = async (revision: number) =>
    (await store.readStream(stream, { fromRevision: revision + 1, maxCount: 1 })).length > 0;

  /** The first attempt on a cached fold: its result, or undefined when the fold was stale. */
  async function onCachedFold(cached: CachedState): Promise<CommandResult<State, Event> | undefined> {
    const state = cached.state as State;
    let events: Event[];
    try {
      // A plain command is decided without an await (no microtask between the decision and the append).
      events = decider.decide(isFactory ? await resolve(state) : (command as Command), state);
    } catch (err) {
      if (await movedSince(cached.revision)) return undefined;
      throw err;
    }
    if (events.length === 0)
      return (await movedSince(cached.revision)) ? undefined : { state, events, position: cached.position };
    try {
      return await append(state, events, cached.revision);
    } catch (err) {
      if (err instanceof ConcurrencyError) return undefined;
      throw err;
    }
  }

  // A client-chosen command id may have run long ago: only the whole stream can tell, so skip the cache.
  let firstAttempt = !ctx.idempotencyKey;
  return retryOnConflict(async () => {
    const cached = ctx.idempotencyKey ? undefined : cache.get(stream);
    if (firstAttempt) {
      firstAttempt = false;
      if (cached) {
        const result = await onCachedFold(cached);
        if (result) return result;
        return decideOnStream(cache.get(stream));
      }
    }
    return decideOnStream(cached);
  });

  /** Reads what the cache has not seen (the whole stream without one), folds, decides, appends at the revision read. */
  async function decideOnStream(cached: CachedState | undefined): Promise<CommandResult<State, Event>> {
    const recorded = await store.readStream(stream, cached ? { fromRevision: cached.revision + 1 } : {});
    if (!cached) {
      // Only a whole stream can hold this command's events (a UUIDv5 per check: not worked out when cached).
      const firstId = eventId(ctx.commandId, stream, 0);
      const already = recorded.findIndex((e) => e.id === firstId);
      if (already >= 0) return replayedResult(decider, recorded, already, ctx.commandId, stream);
    }

    let state = cached ? (cached.state as State) : decider.initialState();
    for (const e of recorded) state = decider.evolve(state, e as unknown as Event);
    const last = recorded.at(-1);
    const revision = last?.revision ?? cached?.revision;
    const headPosition = last?.position ?? cached?.position ?? 0;
    if (revision !== undefined) cache.set(stream, { state, revision, position: headPosition });

    const events = decider.decide(await resolve(state), state);
    if (events.length === 0) return { state, events, position: headPosition };
    return append(state, events, revision);
  }
}

/** The command already ran under this id: answer what it did then instead of deciding again. */
function replayedResult<State, Event extends DomainEvent>(
  decider: Decider<State, unknown, Event>,
  recorded: RecordedEvent[],
  from: number,
  commandId: string,
  stream: string,
): CommandResult<State, Event> {
  const ours: RecordedEvent[] = [];
  for (let i = from; i < recorded.length && recorded[i].id === eventId(commandId, stream, ours.length); i++)
    ours.push(recorded[i]);
  const upTo = recorded.slice(0, from + ours.length) as unknown as Event[];
  const events = ours.map((e) => ({ type: e.type, data: e.data }) as Event);
  return { state: upTo.reduce(decider.evolve, decider.initialState()), events, position: ours.at(-1)!.position };
}
