import type { Actor, ActorType } from '../../domain/shared/actor.js';
import { unauthorized } from '../../domain/shared/errors.js';
import type { EventMetadata } from '../../domain/shared/event-metadata.js';
import { TEXT_LIMITS } from '../../domain/shared/text.js';

export type { Actor };

/** Everything a command needs to know about the request that carries it. */
export interface CommandContext {
  actor: Actor | null;
  /** The Idempotency-Key when the client sent one, else random: event ids derive from it. */
  commandId: string;
  idempotencyKey: string | null;
  correlationId: string;
  causationId: string | null;
  ip: string | null;
  userAgent: string | null;
  now: Date;
  /** A background job acting on its own (ingestion, watched-document sync): recorded as actorType 'system'. */
  system?: boolean;
  /** Someone who is no user, such as an embed widget's visitor: recorded with this actor id and type. */
  actingAs?: { actorId: string | null; actorType: ActorType };
}

export const SCHEMA_VERSION = 1;

export function metadataFor(
  ctx: CommandContext,
  explicitActor?: { actorId: string | null; actorType: ActorType },
): EventMetadata {
  const actorOverride = explicitActor ?? ctx.actingAs;
  return {
    actorId: actorOverride ? actorOverride.actorId : ctx.actor ? String(ctx.actor.userId) : null,
    actorType: actorOverride ? actorOverride.actorType : ctx.system ? 'system' : (ctx.actor?.type ?? 'user'),
    correlationId: ctx.correlationId,
    causationId: ctx.causationId ?? ctx.commandId,
    ip: headerValue(ctx.ip),
    userAgent: headerValue(ctx.userAgent),
    schemaVersion: SCHEMA_VERSION,
  };
}

/** Headers the client chose are kept, but only so much of them: a request cannot fix what its agent sends. */
const headerValue = (value: string | null) => (value === null ? null : value.slice(0, TEXT_LIMITS.header));

/** Requests made before anyone is authenticated (login, password reset) are attributed to the user they concern. */
export function attributedTo(ctx: CommandContext, userId: number): CommandContext {
  return ctx.actor ? ctx : { ...ctx, actor: { type: 'user', userId, role: 'default' } };
}

export const NO_CREDENTIALS = 'Authentication credentials were not provided.';

/** The acting user of a command that needs one. */
export function requireActor(ctx: CommandContext): Actor {
  if (!ctx.actor) throw unauthorized(NO_CREDENTIALS);
  return ctx.actor;
}
