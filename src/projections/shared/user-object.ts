/**
 * Objects a user supplies whole (a document's metadata) go into read models with any key they hold.
 * MongoDB refuses field names that start with `$` or contain `.` (or NUL) in the documents an update
 * writes, and the embedded store refuses the same (infra/readstore/storable-fields.ts); a user's key
 * "a.b" or "$where" is still legitimate data. So keys are stored escaped, percent-style, and restored
 * when served: `%` → `%25`, `$` → `%24`, `.` → `%2E`, NUL → `%00`. Escaping `%` keeps it reversible;
 * a key without any of these characters is stored as it is.
 */
const ESCAPED = /[%$.\0]/g;
const ESCAPES: Record<string, string> = { '%': '%25', $: '%24', '.': '%2E', '\0': '%00' };
const RESTORED = /%(25|24|2E|00)/g;
const RESTORES: Record<string, string> = { '25': '%', '24': '$', '2E': '.', '00': '\0' };

const escapeKey = (key: string) => key.replace(ESCAPED, (c) => ESCAPES[c]!);
const restoreKey = (key: string) => key.replace(RESTORED, (_, code: string) => RESTORES[code]!);

/** Rebuilds a JSON value with every object key renamed; fromEntries keeps a "__proto__" key as data. */
function renameKeys(value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => renameKeys(v, rename));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [rename(k), renameKeys(v, rename)]));
}

/** The user's object as a read model stores it: every key, at any depth, escaped. */
export const storedUserObject = <T>(value: T): T => renameKeys(value, escapeKey) as T;

/** The stored object as the user gave it. */
export const servedUserObject = <T>(value: T): T => renameKeys(value, restoreKey) as T;
