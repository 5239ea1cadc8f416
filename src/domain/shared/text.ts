/**
 * What user-supplied text may hold before it is kept in an event forever. Control characters that
 * the log cannot take back are refused rather than cleaned, so what is recorded is what was sent:
 * NUL (PostgreSQL and many tools stop at it; Django REST framework refuses it too), lone UTF-16
 * surrogates (not text: no UTF-8 encoder can write them faithfully) and the bidirectional embedding,
 * override and isolate controls U+202A–U+202E, U+2066–U+2069 (they make a name or prompt read
 * differently from what it is, the "Trojan Source" trick).
 */
const NUL = /\u0000/;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one (no `u` flag: code units). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` may not be recorded, or null when it may. */
export function unsafeTextReason(text: string): string | null {
  if (NUL.test(text)) return 'Null characters are not allowed.';
  if (LONE_SURROGATE.test(text)) return 'Unpaired surrogate characters are not allowed.';
  if (BIDI_CONTROL.test(text)) return 'Bidirectional control characters are not allowed.';
  return null;
}

/**
 * The longest text (in UTF-16 code units, as the API counts characters) each kind of user-supplied
 * field may hold. Every string a client can get into an event is bounded by one of these, so no
 * request can write more than a known amount to the log; past a limit the request is a 400.
 */
export const TEXT_LIMITS = {
  username: 150,
  password: 256,
  email: 254,
  /** Workspace, thread and attachment names, workspace references. */
  name: 255,
  /** Model names, MIME types. */
  label: 200,
  /** A workspace's system prompt, the default system prompt setting. */
  systemPrompt: 20_000,
  /** A workspace's refusal text, feedback comments. */
  shortText: 2000,
  /** A chat message and each text attachment's content. */
  chatMessage: 100_000,
  /** A question asked through an embed widget. */
  embedMessage: 10_000,
  /** The app name setting. */
  appName: 100,
  /** The footer setting. */
  footer: 10_000,
  /** A document's `metadata` object, as JSON. */
  metadataJson: 16_384,
  /** Request headers kept in event metadata (User-Agent): longer ones are cut, as a client cannot fix its own. */
  header: 512,
} as const;
