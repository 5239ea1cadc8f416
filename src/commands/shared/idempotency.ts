import { randomUUID } from 'node:crypto';
import { ConcurrencyError, type EventStore } from '../../infra/eventstore/port.js';
import { DomainError } from '../../domain/shared/errors.js';
import { sha256 } from '../identity/tokens.js';
import { type CommandContext, metadataFor } from './context.js';
import { scopedId } from './event-ids.js';
import { KeyedMutex } from './keyed-mutex.js';

const running = new KeyedMutex();

/**
 * Runs a command at most once per (actor, Idempotency-Key): a retry answers the first run's result.
 * Only a completed run is recorded, so a refused request still appends nothing. Concurrent requests
 * with one key are serialised within this process; across processes the first to record wins and the
 * others answer its result. Results are stored in an event: ids and positions, never secrets.
 */
export async function withIdempotency<R>(
  store: EventStore,
  ctx: CommandContext,
  request: string,
  run: () => Promise<R>,
): Promise<R> {
  if (!ctx.idempotencyKey) return run();
  const stream = `idempotency-${scopedId(ctx.actor?.userId ?? 'anonymous', ctx.idempotencyKey)}`;
  const fingerprint = sha256(request); // the request itself may hold a password
  return running.run(stream, async () => {
    const earlier = await recorded<R>(store, stream, fingerprint);
    if (earlier) return earlier.result;
    const result = await run();
    try {
      await store.appendToStream(stream, [{
        id: randomUUID(), type: 'CommandCompleted', data: { fingerprint, result }, metadata: metadataFor(ctx),
      }], 'no_stream');
      return result;
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err;
      return (await recorded<R>(store, stream, fingerprint))!.result;
    }
  });
}

async function recorded<R>(store: EventStore, stream: string, fingerprint: string): Promise<{ result: R } | null> {
  const [completed] = await store.readStream(stream, { maxCount: 1 });
  if (!completed) return null;
  if (completed.data.fingerprint !== fingerprint) {
    throw new DomainError('validation', 'This Idempotency-Key was already used for a different request.');
  }
  return { result: completed.data.result as R };
}
