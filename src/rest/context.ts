import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import type { Actor, CommandContext } from '../commands/shared/context.js';
import { invalid } from '../domain/shared/errors.js';
import { commandContextFor } from '../transport/command-context.js';

declare module 'express-serve-static-core' {
  interface Request {
    actor?: Actor;
  }
}

const MAX_KEY_LENGTH = 255;

/** The command context of a request: who, which request (for correlation), and the idempotency key. */
export function commandContext(req: Request): CommandContext {
  const key = req.get('Idempotency-Key') ?? null;
  if (key !== null && (key.length === 0 || key.length > MAX_KEY_LENGTH)) {
    throw invalid('Validation failed.', { 'Idempotency-Key': [`Must be 1 to ${MAX_KEY_LENGTH} characters.`] });
  }
  return commandContextFor({
    actor: req.actor ?? null,
    requestId: String(req.id ?? randomUUID()),
    idempotencyKey: key,
    ip: req.ip ?? null,
    userAgent: req.get('User-Agent') ?? null,
  });
}
