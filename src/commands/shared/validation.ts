import { z } from 'zod';
import { type FieldErrors, invalid } from '../../domain/shared/errors.js';
import { TEXT_LIMITS, unsafeTextReason } from '../../domain/shared/text.js';

export { TEXT_LIMITS };

/** Parses transport input with a zod schema; problems become a 400 with DRF-style field errors. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const fieldErrors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = issue.path.length ? issue.path.join('.') : 'non_field_errors';
    (fieldErrors[field] ??= []).push(issue.message);
  }
  throw invalid('Validation failed.', fieldErrors);
}

export const tooLong = (limit: number) => `Ensure this field has no more than ${limit} characters.`;

/**
 * A string schema that refuses what may not be recorded (NUL, lone surrogates, bidirectional controls;
 * see domain/shared/text.ts). Every name, prompt and comment schema passes through here, whichever
 * transport (REST, GraphQL, WebSocket) carried it.
 */
export function recordable<S extends z.ZodString>(schema: S): S {
  return schema.superRefine((value, ctx) => {
    const reason = unsafeTextReason(value);
    if (reason) ctx.addIssue({ code: 'custom', message: reason });
  }) as S;
}
