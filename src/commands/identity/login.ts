import { randomUUID } from 'node:crypto';
import { INVALID_CREDENTIALS, INVALID_TOKEN, userDecider } from '../../domain/identity/user.js';
import { unauthorized } from '../../domain/shared/errors.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import { attributedTo, type CommandContext, metadataFor } from '../shared/context.js';
import { eventId } from '../shared/event-ids.js';
import { handleCommand } from '../shared/handle.js';
import { ownerOf } from '../shared/reservation.js';
import { parseInput } from '../shared/validation.js';
import { verifyPassword } from './hashing.js';
import { loginInput, refreshInput } from './inputs.js';
import { userStream, usernameStream } from './register.js';
import type { TokenService } from './tokens.js';

export interface IssuedTokens {
  access: string;
  refresh: string;
  userId: number;
  position: number;
}

/** Checks the password and opens a session; success and both kinds of failure are events. */
export async function logIn(
  store: EventStore,
  tokens: TokenService,
  rawInput: unknown,
  ctx: CommandContext,
): Promise<IssuedTokens> {
  const { username, password } = parseInput(loginInput, rawInput);
  const owner = await ownerOf(store, usernameStream(username));
  if (!owner) {
    const stream = `loginfailure-${randomUUID()}`;
    await store.appendToStream(
      stream,
      [
        {
          id: eventId(ctx.commandId, stream, 0),
          type: 'LoginFailedInvalidUsername',
          data: { usernameDigest: tokens.attemptedUsernameDigest(username), at: ctx.now.toISOString() },
          metadata: metadataFor(ctx, { actorId: null, actorType: 'user' }),
        },
      ],
      'no_stream',
    );
    throw unauthorized(INVALID_CREDENTIALS);
  }
  const userId = Number(owner);
  const sessionId = randomUUID();
  const refreshTokenId = randomUUID();
  const result = await handleCommand(
    store,
    userStream(userId),
    userDecider,
    async (state) => ({
      type: 'LogIn' as const,
      passwordMatches: state.status === 'active' && (await verifyPassword(state.passwordHash, password)),
      sessionId,
      refreshTokenId,
      expiresAt: refreshExpiry(tokens, ctx.now),
      now: ctx.now,
    }),
    attributedTo(ctx, userId),
  );
  const [event] = result.events;
  if (event?.type !== 'UserLoggedIn' || result.state.status !== 'active') throw unauthorized(INVALID_CREDENTIALS);
  // From the recorded event: a retry under the same Idempotency-Key gets the session it opened then.
  const issued = tokens.issue(userId, result.state.tokenVersion, event.data.sessionId, event.data.refreshTokenId);
  return { ...issued, userId, position: result.position };
}

/** Rotates the refresh token; presenting one that was already rotated ends that session. */
export async function refreshSession(store: EventStore, tokens: TokenService, rawInput: unknown, ctx: CommandContext) {
  const { refresh } = parseInput(refreshInput, rawInput);
  const claims = tokens.verifyRefresh(refresh);
  if (!claims) throw unauthorized(INVALID_TOKEN);
  const newTokenId = randomUUID();
  const result = await handleCommand(
    store,
    userStream(claims.userId),
    userDecider,
    {
      type: 'RefreshSession',
      sessionId: claims.sessionId,
      tokenId: claims.tokenId,
      tokenVersion: claims.tokenVersion,
      newTokenId,
      expiresAt: refreshExpiry(tokens, ctx.now),
      now: ctx.now,
    },
    attributedTo(ctx, claims.userId),
  ).catch((err) => {
    // The token's user is gone: to the client that is just a token that no longer works.
    throw err?.kind === 'not_found' ? unauthorized(INVALID_TOKEN) : err;
  });
  const [event] = result.events;
  if (event?.type !== 'SessionRefreshed' || result.state.status !== 'active') throw unauthorized(INVALID_TOKEN);
  return tokens.issue(claims.userId, result.state.tokenVersion, claims.sessionId, event.data.refreshTokenId);
}

const refreshExpiry = (tokens: TokenService, now: Date) => new Date(now.getTime() + tokens.ttls.refreshSeconds * 1000);
