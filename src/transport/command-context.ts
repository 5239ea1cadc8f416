import { randomUUID } from 'node:crypto';
import type { CommandContext } from '../commands/shared/context.js';
import type { Actor } from '../domain/shared/actor.js';

/** What a transport knows of the request that carries a command. */
export interface RequestFacts {
  actor: Actor | null;
  /** Correlates the command's events with the request's log lines. */
  requestId: string;
  /** The client's Idempotency-Key, already checked by the transport; null when it sent none. */
  idempotencyKey: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** The command context of a request, alike on every transport: event ids derive from the key when there is one. */
export function commandContextFor(request: RequestFacts): CommandContext {
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
