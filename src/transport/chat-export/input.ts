import { z } from 'zod';
import { EXPORT_FORMATS } from './render.js';

const id = z
  .number({ error: 'A valid integer is required.' })
  .int('A valid integer is required.')
  .positive('A valid integer is required.');
const isoDate = z
  .string({ error: 'Enter a valid date/time.' })
  .refine((s) => !Number.isNaN(Date.parse(s)), 'Enter a valid date/time.');

export const exportInput = z.object({
  workspace_id: id.optional(),
  format: z.enum(EXPORT_FORMATS, { error: `Must be one of: ${EXPORT_FORMATS.join(', ')}.` }).default('json'),
  date_from: isoDate.optional(),
  date_to: isoDate.optional(),
});
export type ExportInput = z.infer<typeof exportInput>;
