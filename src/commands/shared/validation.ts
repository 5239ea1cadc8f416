import type { z } from 'zod';
import { type FieldErrors, invalid } from '../../domain/shared/errors.js';

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
