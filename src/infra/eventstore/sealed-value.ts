/**
 * One personal value sealed with AES-256-GCM, as stored in an event: a small JSON object marked
 * `$sealed`, naming the key it is sealed under (a subject id, not personal), with a random 96-bit IV,
 * the ciphertext and the tag, base64. The additional data binds it to its event and field, so a sealed
 * value copied into another event or field does not open.
 *
 *   {"$sealed":"aes-256-gcm","kid":"user-3","iv":"…","ct":"…","tag":"…"}
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const SEALED_MARKER = '$sealed';
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
/** IVs are drawn from the CSPRNG this many at a time: one call per IV cost more than the cipher itself. */
const IVS_PER_DRAW = 256;

let ivPool = Buffer.alloc(0);
let ivOffset = 0;

/** A fresh random IV, never handed out twice (the cipher copies it, so the pool is never written again). */
export function freshIv(): Buffer {
  if (ivOffset + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_BYTES * IVS_PER_DRAW);
    ivOffset = 0;
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
  return iv;
}

export interface SealedValue {
  $sealed: typeof ALGORITHM;
  kid: string;
  iv: string;
  ct: string;
  tag: string;
}

export function isSealed(value: unknown): value is SealedValue {
  return (
    value !== null &&
    typeof value === 'object' &&
    (value as Record<string, unknown>)[SEALED_MARKER] === ALGORITHM &&
    typeof (value as Record<string, unknown>).kid === 'string'
  );
}

/** What the seal is bound to: the event's id and the field's name. */
export const sealContext = (eventId: string, field: string) => `${eventId}|${field}`;

/** Seals any JSON value (kept as its JSON text, so a number or an object opens as what it was). */
export function seal(key: Buffer, kid: string, context: string, value: unknown): SealedValue {
  const iv = freshIv();
  const cipher = createCipheriv(ALGORITHM, key, iv);
  cipher.setAAD(Buffer.from(context));
  const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return {
    $sealed: ALGORITHM,
    kid,
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/** Opens a sealed value; throws when the key, the context or the bytes are not the ones it was sealed with. */
export function open(key: Buffer, context: string, sealed: SealedValue): unknown {
  const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  const text = Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]).toString('utf8');
  return JSON.parse(text);
}
