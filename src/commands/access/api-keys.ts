import { apiKeyDecider, mayCreate } from '../../domain/access/api-key.js';
import type { ApiKeyKind } from '../../domain/access/events.js';
import { INVALID_TOKEN, userDecider } from '../../domain/identity/user.js';
import { conflict, forbidden, notFound, unauthorized } from '../../domain/shared/errors.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import { sha256 } from '../identity/tokens.js';
import { userStream } from '../identity/register.js';
import { type Actor, type CommandContext, requireActor } from '../shared/context.js';
import { currentState } from '../shared/current-state.js';
import { handleCommand } from '../shared/handle.js';
import { ownerOf, reservationStream, reserve } from '../shared/reservation.js';
import { nextId } from '../shared/sequence.js';
import { parseInput } from '../shared/validation.js';
import { verifyKeyInput } from './inputs.js';
import { looksLikeKey, maskKey, newKeySecret } from './secrets.js';

export const apiKeyStream = (keyId: number) => `apikey-${keyId}`;
const keyHashStream = (keyHash: string) => reservationStream('apikeyhash', keyHash);

export const KEY_SHOWN_ONCE = 'Save this key securely. It will not be shown again.';

export interface GeneratedKey {
  keyId: number;
  key: string;
  position: number;
}

/**
 * Makes a key and answers its secret, the only time it exists outside the client. SHA-256 is enough
 * here (unlike passwords): a 256-bit random secret cannot be guessed, so a slow salted hash would add
 * nothing, and a deterministic hash lets a key be looked up by its hash through `apikeyhash-<sha256>`.
 */
export async function generateKey(store: EventStore, kind: ApiKeyKind, ctx: CommandContext): Promise<GeneratedKey> {
  const actor = requireActor(ctx);
  if (!mayCreate(actor, kind)) throw forbidden();
  const key = newKeySecret(kind);
  const keyHash = sha256(key);
  const keyId = await nextId(store, 'apikey', ctx);
  if (!(await reserve(store, keyHashStream(keyHash), String(keyId), ctx))) throw conflict('Please retry.');
  const result = await handleCommand(
    store,
    apiKeyStream(keyId),
    apiKeyDecider,
    {
      type: 'CreateApiKey',
      actor,
      keyId,
      kind,
      keyHash,
      masked: maskKey(key),
      now: ctx.now,
    },
    ctx,
  );
  return { keyId, key, position: result.position };
}

/** Revoked keys stop working on the next request: the authenticator reads the key's stream. */
export async function revokeKey(store: EventStore, kind: ApiKeyKind, keyId: number, ctx: CommandContext) {
  const actor = requireActor(ctx);
  return handleCommand(
    store,
    apiKeyStream(keyId),
    apiKeyDecider,
    (state) => {
      if (state.status !== 'none' && state.kind !== kind) throw notFound();
      return { type: 'RevokeApiKey' as const, actor, now: ctx.now };
    },
    ctx,
  );
}

/**
 * The user a key acts for, with that user's role as it is now. Read from the event store rather than a
 * read model: a projection may lag behind a revocation or a suspension, and a key must stop at once.
 * Each check is a short read (the hash's reservation, then only the events new since this process last
 * folded the key's and the user's streams).
 */
export async function actorFromApiKey(store: EventStore, secret: string): Promise<Actor & { keyId: number }> {
  if (!looksLikeKey(secret)) throw unauthorized(INVALID_TOKEN);
  const owner = await ownerOf(store, keyHashStream(sha256(secret)));
  if (!owner) throw unauthorized(INVALID_TOKEN);
  const key = await currentState(store, apiKeyStream(Number(owner)), apiKeyDecider);
  if (key.status !== 'active') throw unauthorized(INVALID_TOKEN);
  const user = await currentState(store, userStream(key.userId), userDecider);
  if (user.status !== 'active' || user.suspended) throw unauthorized(INVALID_TOKEN);
  return { type: 'api_key', userId: user.userId, role: user.role, keyId: key.keyId };
}

/** Whether a key works right now; answers nothing about whose it is. */
export async function verifyKey(store: EventStore, rawInput: unknown): Promise<{ valid: boolean; id: number | null }> {
  const { key } = parseInput(verifyKeyInput, rawInput);
  try {
    const actor = await actorFromApiKey(store, key);
    return { valid: true, id: actor.keyId };
  } catch (err) {
    if ((err as { kind?: string }).kind === 'unauthorized') return { valid: false, id: null };
    throw err;
  }
}
