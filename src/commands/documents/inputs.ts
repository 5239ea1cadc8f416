import { z } from 'zod';
import { invalid } from '../../domain/shared/errors.js';
import { TEXT_LIMITS, unsafeTextReason } from '../../domain/shared/text.js';

const fieldError = (field: string, message: string) => invalid('Validation failed.', { [field]: [message] });

const INTEGER = 'A valid integer is required.';

/** A positive integer id, given as a JSON number or (multipart forms carry only text) as digits. */
export const idValue = z.union(
  [
    z.number({ error: INTEGER }).int(INTEGER).positive(INTEGER),
    z
      .string({ error: INTEGER })
      .trim()
      .regex(/^\d{1,15}$/, INTEGER)
      .transform(Number)
      .pipe(z.number().positive(INTEGER)),
  ],
  { error: (i) => (i.input === undefined || i.input === '' ? 'This field is required.' : INTEGER) },
);

export const uploadFields = z.object({ workspace_id: idValue });

const flag = <K extends string>(name: K) =>
  z.strictObject(
    {
      [name]: z.boolean({
        error: (i) => (i.input === undefined ? 'This field is required.' : 'Must be a valid boolean.'),
      }),
    } as Record<K, z.ZodBoolean>,
    {
      error: (i) =>
        i.code === 'unrecognized_keys' ? `Unknown field(s): ${i.keys?.join(', ')}.` : 'Expected an object.',
    },
  );

export const pinInput = flag('pin');
export const watchInput = flag('watch');

export const BULK_ACTIONS = ['pin', 'unpin', 'watch', 'unwatch', 'delete'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];
export const MAX_BULK_IDS = 1000;

export const bulkInput = z.object({
  document_ids: z
    .array(z.number({ error: INTEGER }).int(INTEGER).positive(INTEGER), { error: 'Expected a list of document ids.' })
    .min(1, 'This list may not be empty.')
    .max(MAX_BULK_IDS, `Ensure this list has no more than ${MAX_BULK_IDS} ids.`),
  action: z.enum(BULK_ACTIONS, { error: `Must be one of: ${BULK_ACTIONS.join(', ')}.` }),
});

/** The optional `metadata` form field: a JSON object, given as text (multipart) or already parsed. */
export function parseMetadata(raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null || raw === '') return {};
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw fieldError('metadata', 'Must be valid JSON.');
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw fieldError('metadata', 'Must be a JSON object.');
  // Kept in the upload's event for good: bounded as a whole, and every key and string held to the text rule.
  if (JSON.stringify(value).length > TEXT_LIMITS.metadataJson) {
    throw fieldError('metadata', `Ensure this object has no more than ${TEXT_LIMITS.metadataJson} characters as JSON.`);
  }
  const unsafe = firstUnsafeText(value);
  if (unsafe) throw fieldError('metadata', unsafe);
  return value as Record<string, unknown>;
}

function firstUnsafeText(value: unknown): string | null {
  if (typeof value === 'string') return unsafeTextReason(value);
  if (value === null || typeof value !== 'object') return null;
  for (const [key, inner] of Object.entries(value)) {
    const unsafe = unsafeTextReason(key) ?? firstUnsafeText(inner);
    if (unsafe) return unsafe;
  }
  return null;
}
