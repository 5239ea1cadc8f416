import { randomBytes } from 'node:crypto';
import type { ApiKeyKind } from '../../domain/access/events.js';

/** What a key starts with tells its kind, and lets the authenticator tell a key from a JWT at a glance. */
export const KEY_PREFIXES: Record<ApiKeyKind, string> = { api: 'sk_live_', browser_extension: 'brx_' };

const KEY_SHAPE = /^(sk_live_|brx_)[A-Za-z0-9_-]{43}$/;

/** 256 random bits: far beyond guessing, which is why a plain SHA-256 of it is a safe thing to store. */
export const newKeySecret = (kind: ApiKeyKind) => KEY_PREFIXES[kind] + randomBytes(32).toString('base64url');

export const looksLikeKey = (token: string) => KEY_SHAPE.test(token);

export const isKeyToken = (token: string) =>
  token.startsWith(KEY_PREFIXES.api) || token.startsWith(KEY_PREFIXES.browser_extension);

/** `sk_live_...abcd`: enough to tell keys apart in a list, too little to use. */
export function maskKey(secret: string): string {
  const prefix = Object.values(KEY_PREFIXES).find((p) => secret.startsWith(p)) ?? '';
  return `${prefix}...${secret.slice(-4)}`;
}

// Crockford's base32: no I, L, O or U, so a code read aloud or typed is not misread.
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** 20 symbols of 5 random bits each: 100 bits, unguessable, and short enough to paste. */
export function newInviteCode(): string {
  const bytes = randomBytes(20);
  let code = '';
  for (const b of bytes) code += CODE_ALPHABET[b & 31];
  return code;
}
