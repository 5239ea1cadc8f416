import { randomUUID } from 'node:crypto';
import type { CommandContext } from '../commands/shared/context.js';
import type { Actor } from '../domain/shared/actor.js';
import { invalid } from '../domain/shared/errors.js';

const MAX_KEY_LENGTH = 255;

/** What a transport knows of the request that carries a command. */
export interface RequestFacts {
  actor: Actor | null;
  /** Correlates the command's events with the request's log lines. */
  requestId: string;
  /** The client's Idempotency-Key as sent; null when it sent none. */
  idempotencyKey: string | null;
  ip: string | null;
  userAgent: string | null;
}

/**
 * The command context of a request, alike on every transport: event ids derive from the key when there
 * is one, so a key must be 1 to 255 characters (an empty one would make every such request one command).
 */
export function commandContextFor(request: RequestFacts): CommandContext {
  const key = request.idempotencyKey;
  if (key !== null && (key.length === 0 || key.length > MAX_KEY_LENGTH)) {
    throw invalid('Validation failed.', { 'Idempotency-Key': [`Must be 1 to ${MAX_KEY_LENGTH} characters.`] });
  }
  return {
    actor: request.actor,
    commandId: request.idempotencyKey ?? randomUUID(),
    idempotencyKey: request.idempotencyKey,
    correlationId: request.requestId,
    causationId: null,
    ip: request.ip,
    userAgent: request.userAgent,
    now: new Date(),
  };
}
