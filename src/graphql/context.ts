import { type Actor, type CommandContext, NO_CREDENTIALS } from '../commands/shared/context.js';
import { unauthorized } from '../domain/shared/errors.js';
import { commandContextFor } from '../transport/command-context.js';
import type { TransportDeps } from '../transport/deps.js';
import type { Loaders } from './shared/loaders.js';

/** What every resolver gets: the acting user (if any), the services, and where the request came from. */
export interface GraphQLContext {
  actor: Actor | null;
  deps: TransportDeps;
  loaders: Loaders;
  request: { id: string; ip: string | null; userAgent: string | null; idempotencyKey: string | null; baseUrl: string };
  /** Aborts when the client goes away (its HTTP request or its WebSocket closes): work only it would read stops. */
  signal: AbortSignal;
}

export function commandContextOf(ctx: GraphQLContext): CommandContext {
  const { id: requestId, idempotencyKey, ip, userAgent } = ctx.request;
  return commandContextFor({ actor: ctx.actor, requestId, idempotencyKey, ip, userAgent });
}

export function requireActor(ctx: GraphQLContext): Actor {
  if (!ctx.actor) throw unauthorized(NO_CREDENTIALS);
  return ctx.actor;
}
