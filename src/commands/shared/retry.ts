import { ConcurrencyError } from '../../infra/eventstore/port.js';
import { conflict } from '../../domain/shared/errors.js';

const MAX_ATTEMPTS = 5;

/** Re-runs `attempt` when another writer moved the stream first, with jittered backoff; 409 after that. */
export async function retryOnConflict<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err;
      if (i + 1 >= MAX_ATTEMPTS) throw conflict('The resource was changed by another request. Please retry.');
      await new Promise((r) => setTimeout(r, Math.random() * 5 * 2 ** i));
    }
  }
}
