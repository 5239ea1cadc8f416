import type { EventStore } from '../../infra/eventstore/port.js';

export interface CachedState {
  state: unknown;
  revision: number;
  position: number;
}

const MAX_STREAMS = 10_000;

/**
 * Folded state per stream, so a command folds only the events appended since it last saw the
 * stream instead of the whole history. Safe because events are immutable and deciders pure: a cached
 * fold is always a prefix of the stream's current fold. Least recently used streams are dropped.
 */
class StateCache {
  private readonly entries = new Map<string, CachedState>();

  get(stream: string): CachedState | undefined {
    const entry = this.entries.get(stream);
    if (entry) {
      this.entries.delete(stream);
      this.entries.set(stream, entry);
    }
    return entry;
  }

  set(stream: string, entry: CachedState): void {
    this.entries.delete(stream);
    this.entries.set(stream, entry);
    if (this.entries.size > MAX_STREAMS) this.entries.delete(this.entries.keys().next().value!);
  }
}

const caches = new WeakMap<EventStore, StateCache>();

/** One cache per event store: two stores (two test servers, say) can hold streams with the same names. */
export function stateCacheFor(store: EventStore): StateCache {
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new StateCache()));
  return cache;
}
