import { randomUUID } from 'node:crypto';
import { ConcurrencyError, type EventStore } from '../../infra/eventstore/port.js';
import { DomainError } from '../../domain/shared/errors.js';
import { sha256 } from '../identity/tokens.js';
import { type CommandContext, metadataFor } from './context.js';
import { scopedId } from './event-ids.js';
import { KeyedMutex } from './keyed-mutex.js';

const running = new KeyedMutex();

const PASSWORD_FIELDS = new Set([
  'password',
  'password_confirm',
  'passwordConfirm',
  'new_password',
  'old_password',
  'current_password',
]);

/**
 * The request as withIdempotency compares it, passwords left out: the fingerprint is a fast, unsalted
 * SHA-256 kept in the event store, and over a body whose other fields (code, username, email) are in
 * other events it would let a password be guessed offline at hash speed, around its slow hash.
 */
export function requestFingerprint(name: string, body: unknown): string {
  const fields =
    body !== null && typeof body === 'object' && !Array.isArray(body)
      ? Object.fromEntries(Object.entries(body).filter(([k]) => !PASSWORD_FIELDS.has(k)))
      : body;
  return `${name}|${JSON.stringify(fields)}`;
}

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
  const fingerprint = sha256(request); // passwords are left out by requestFingerprint
  return running.run(stream, async () => {
    const earlier = await recorded<R>(store, stream, fingerprint);
    if (earlier) return earlier.result;
    const result = await run();
    try {
      await store.appendToStream(
        stream,
        [
          {
            id: randomUUID(),
            type: 'CommandCompleted',
            data: { fingerprint, result },
            metadata: metadataFor(ctx),
          },
        ],
        'no_stream',
      );
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
