import type { Decider, DomainEvent } from '../../domain/shared/decider.js';
import type { EventStore, RecordedEvent } from '../../infra/eventstore/port.js';
import { type CommandContext, metadataFor } from './context.js';
import { eventId } from './event-ids.js';
import { retryOnConflict } from './retry.js';
import { stateCacheFor } from './state-cache.js';

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
 */
export function handleCommand<State, Command, Event extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Decider<State, Command, Event>,
  command: CommandFactory<State, Command>,
  ctx: CommandContext,
): Promise<CommandResult<State, Event>> {
  const cache = stateCacheFor(store);
  return retryOnConflict(async () => {
    // A client-chosen command id may have run long ago: only the whole stream can tell, so skip the cache.
    const cached = ctx.idempotencyKey ? undefined : cache.get(stream);
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

    const resolved = typeof command === 'function' ? await (command as (s: State) => Command | Promise<Command>)(state) : command;
    const events = decider.decide(resolved, state);
    if (events.length === 0) return { state, events, position: headPosition };

    const metadata = metadataFor(ctx);
    const appended = await store.appendToStream(
      stream,
      events.map((e, i) => ({ id: eventId(ctx.commandId, stream, i), type: e.type, data: e.data, metadata })),
      revision ?? 'no_stream',
    );
    const next = events.reduce(decider.evolve, state);
    cache.set(stream, { state: next, revision: appended.nextExpectedRevision, position: appended.position });
    return { state: next, events, position: appended.position };
  });
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
  for (let i = from; i < recorded.length && recorded[i].id === eventId(commandId, stream, ours.length); i++) ours.push(recorded[i]);
  const upTo = recorded.slice(0, from + ours.length) as unknown as Event[];
  const events = ours.map((e) => ({ type: e.type, data: e.data }) as Event);
  return { state: upTo.reduce(decider.evolve, decider.initialState()), events, position: ours.at(-1)!.position };
}
