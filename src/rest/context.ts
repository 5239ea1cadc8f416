import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import type { Actor, CommandContext } from '../commands/shared/context.js';
import { commandContextFor } from '../transport/command-context.js';

declare module 'express-serve-static-core' {
  interface Request {
    actor?: Actor;
  }
}

/** The command context of a request: who, which request (for correlation), and the idempotency key. */
export function commandContext(req: Request): CommandContext {
  return commandContextFor({
    actor: req.actor ?? null,
    requestId: String(req.id ?? randomUUID()),
    idempotencyKey: req.get('Idempotency-Key') ?? null,
    ip: req.ip ?? null,
    userAgent: req.get('User-Agent') ?? null,
  });
}
