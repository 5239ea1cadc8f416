import { randomUUID } from 'node:crypto';
import { ConcurrencyError, type EventStore } from '../../infra/eventstore/port.js';
import { conflict, DomainError } from '../../domain/shared/errors.js';
import { type CommandContext, metadataFor } from './context.js';
import { scopedId } from './event-ids.js';

const STALE_CLAIM_MS = 60_000;

/**
 * Runs a command at most once per (actor, Idempotency-Key): a retry answers the first run's result.
 * The key is claimed on its own stream before running, so concurrent retries cannot both run.
 * Results are stored in an event, so they must hold ids and positions, never secrets.
 */
export async function withIdempotency<R>(
  store: EventStore,
  ctx: CommandContext,
  fingerprint: string,
  run: () => Promise<R>,
): Promise<R> {
  if (!ctx.idempotencyKey) return run();
  const stream = `idempotency-${scopedId(ctx.actor?.userId ?? 'anonymous', ctx.idempotencyKey)}`;
  const metadata = metadataFor(ctx);
  const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });

  if (last?.type === 'CommandCompleted') {
    if (last.data.fingerprint !== fingerprint) throw reusedKey();
    return last.data.result as R;
  }
  if (last?.type === 'CommandStarted' && Date.now() - last.createdAt.getTime() < STALE_CLAIM_MS) throw inProgress();

  let claimedAt: number;
  try {
    const claim = { id: randomUUID(), type: 'CommandStarted', data: { fingerprint }, metadata };
    claimedAt = (await store.appendToStream(stream, [claim], last ? last.revision : 'no_stream')).nextExpectedRevision;
  } catch (err) {
    if (err instanceof ConcurrencyError) throw inProgress();
    throw err;
  }

  try {
    const result = await run();
    await store.appendToStream(stream, [{ id: randomUUID(), type: 'CommandCompleted', data: { fingerprint, result }, metadata }], claimedAt);
    return result;
  } catch (err) {
    // A refused command frees the key, so the corrected request can be sent again under it.
    await store.appendToStream(stream, [{ id: randomUUID(), type: 'CommandAbandoned', data: { fingerprint }, metadata }], claimedAt).catch(() => {});
    throw err;
  }
}

const reusedKey = () => new DomainError('validation', 'This Idempotency-Key was already used for a different request.');
const inProgress = () => conflict('A request with this Idempotency-Key is still in progress.');
