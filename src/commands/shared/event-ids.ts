import { hash } from 'node:crypto';

const NAMESPACE = '6f1c1b9e-3c55-4d8e-9c1a-2f5e8e0a9b71';
const NAMESPACE_BYTES = Buffer.from(NAMESPACE.replaceAll('-', ''), 'hex');

/** Names up to this many UTF-8 bytes are hashed from `scratch`; longer ones from a buffer of their own. */
const SCRATCH_NAME_BYTES = 1024;
/** The namespace, then room for a name: one buffer reused by every call (synchronous, so never shared). */
const scratch = Buffer.allocUnsafe(NAMESPACE_BYTES.length + SCRATCH_NAME_BYTES);
NAMESPACE_BYTES.copy(scratch);

/** SHA-1 of the namespace's bytes followed by `name` in UTF-8, in one call (no Hash object per id). */
function sha1InNamespace(name: string): Buffer {
  if (name.length * 3 > SCRATCH_NAME_BYTES)
    // a UTF-16 unit is at most 3 UTF-8 bytes
    return hash('sha1', Buffer.concat([NAMESPACE_BYTES, Buffer.from(name)]), 'buffer');
  const length = scratch.write(name, NAMESPACE_BYTES.length, 'utf8');
  return hash('sha1', scratch.subarray(0, NAMESPACE_BYTES.length + length), 'buffer');
}

/**
 * RFC 4122 UUIDv5 of `name` in NAMESPACE: the same ids as `uuid`'s v5 (tests compare them), at a fraction of
 * its cost (it re-parses the namespace and copies both into a new array on every call; a command pays one per event).
 */
function uuidV5(name: string): string {
  const b = sha1InNamespace(name);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex', 0, 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Deterministic: the same command writing the same stream yields the same event ids, so a retry is a no-op. */
export const eventId = (commandId: string, stream: string, index: number) => uuidV5(`${commandId}|${stream}|${index}`);

/** A stable id for a client-chosen key, scoped so two actors cannot collide on the same key. */
export const scopedId = (...parts: (string | number | null)[]) => uuidV5(parts.map(String).join('|'));
