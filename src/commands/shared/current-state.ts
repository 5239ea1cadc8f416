import type { Decider, DomainEvent } from '../../domain/shared/decider.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import { stateCacheFor } from './state-cache.js';

/**
 * A stream's state as of now, from the event store itself (not a read model), folding only what was
 * appended since this process last saw the stream. For checks that must not lag, such as whether an
 * API key still works. Never followed by an append decided on it (commands read through handleCommand).
 */
export async function currentState<State, Event extends DomainEvent>(
  store: EventStore,
  stream: string,
  decider: Pick<Decider<State, unknown, Event>, 'initialState' | 'evolve'>,
): Promise<State> {
  const cache = stateCacheFor(store);
  const cached = cache.get(stream);
  const recorded = await store.readStream(
    stream,
    cached ? { fromRevision: cached.revision + 1, readOnly: true } : { readOnly: true },
  );
  let state = cached ? (cached.state as State) : decider.initialState();
  for (const e of recorded) state = decider.evolve(state, e as unknown as Event);
  const last = recorded.at(-1);
  if (last) cache.set(stream, { state, revision: last.revision, position: last.position });
  return state;
}
