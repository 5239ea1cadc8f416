import { randomUUID } from 'node:crypto';
import type { Actor, CommandContext } from '../../src/commands/shared/context.js';

/** A command context as a transport would build it. */
export const commandCtx = (actor: Actor | null = null, idempotencyKey: string | null = null): CommandContext => ({
  actor,
  commandId: idempotencyKey ?? randomUUID(),
  idempotencyKey,
  correlationId: randomUUID(),
  causationId: null,
  ip: '127.0.0.1',
  userAgent: 'jest',
  now: new Date(),
});

export const admin: Actor = { type: 'user', userId: 1, role: 'admin' };
