/**
 * Field names MongoDB may refuse to store: starting with `$`, or containing `.` or NUL, at any depth
 * (inside arrays too). MongoDB 5.0+ takes `$`-prefixed and dotted names on insert and upsert, but an
 * update that modifies a document holding them fails ("The dollar ($) prefixed field ... is not valid
 * for storage"), and older servers refuse them everywhere. A projection's write to one document is an
 * upsert the first time and an update after (and a replay mixes them), so the embedded store refuses
 * such names in every write: a projection that would stop a MongoDB deployment fails on it first.
 * nedb's own check let `$$date` and a few other `$$` names through.
 */
export class UnstorableFieldError extends Error {
  constructor(readonly path: string) {
    super(
      `Field name ${JSON.stringify(path)} cannot be stored: field names may not start with "$" or contain "." or NUL`,
    );
    this.name = 'UnstorableFieldError';
  }
}

const UNSTORABLE = /^\$|[.\0]/;
/** A segment of a dotted update path (`metadata.a`): the dots there separate names. */
const UNSTORABLE_SEGMENT = /^\$|\0/;

function check(value: unknown, path: string): void {
  if (value === null || typeof value !== 'object' || value instanceof Date || value instanceof RegExp) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) check(value[i], `${path}.${i}`);
    return;
  }
  for (const key of Object.keys(value)) {
    const at = path ? `${path}.${key}` : key;
    if (UNSTORABLE.test(key)) throw new UnstorableFieldError(at);
    check((value as Record<string, unknown>)[key], at);
  }
}

/** Throws UnstorableFieldError naming the first field MongoDB would refuse to store. */
export function assertStorableFields(doc: object): void {
  check(doc, '');
}

/** The operators whose values an update stores (the others remove, count or match). */
const STORING = ['$set', '$push', '$addToSet'] as const;

/**
 * Checks what an update would store before it is applied (the modifier would otherwise refuse some of
 * it with its own error): each path's segments, and each value's field names (`$each` lists unwrapped).
 */
export function assertStorableUpdate(update: Record<string, unknown>): void {
  for (const op of STORING) {
    const fields = update[op];
    if (fields === null || typeof fields !== 'object') continue;
    for (const [path, given] of Object.entries(fields)) {
      if (path.split('.').some((segment) => UNSTORABLE_SEGMENT.test(segment))) throw new UnstorableFieldError(path);
      const each = op !== '$set' && given !== null && typeof given === 'object' && '$each' in given;
      check(each ? (given as { $each: unknown }).$each : given, path);
    }
  }
}
