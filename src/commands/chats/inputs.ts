import { z } from 'zod';
import { CHAT_MODES } from '../../domain/workspaces/settings.js';
import { recordable, TEXT_LIMITS, tooLong } from '../shared/validation.js';

const required = (what: string) => ({
  error: (i: { input?: unknown }) => (i.input === undefined ? 'This field is required.' : what),
});
const id = z
  .number(required('A valid integer is required.'))
  .int('A valid integer is required.')
  .positive('A valid integer is required.');
const MAX_MESSAGE = TEXT_LIMITS.chatMessage;

/**
 * A text file sent with the message (AnythingLLM's `{name, mime, contentString}`); its text goes to the
 * model after the message. Images need a vision model, which the provider port does not speak: refused.
 */
const attachment = z
  .object({
    name: recordable(
      z.string(required('Must be a string.')).trim().min(1).max(TEXT_LIMITS.name, tooLong(TEXT_LIMITS.name)),
    ),
    mime: recordable(z.string().max(TEXT_LIMITS.label, tooLong(TEXT_LIMITS.label))).optional(),
    contentString: recordable(z.string(required('Must be a string.')).max(MAX_MESSAGE, tooLong(MAX_MESSAGE))),
  })
  .refine((a) => !a.mime || a.mime.startsWith('text/') || ['application/json', 'application/xml'].includes(a.mime), {
    message: 'Only text attachments are supported.',
  });

export const sendChatInput = z.object({
  message: recordable(
    z
      .string(required('Must be a string.'))
      .trim()
      .min(1, 'This field may not be blank.')
      .max(MAX_MESSAGE, tooLong(MAX_MESSAGE)),
  ),
  workspace_slug: z
    .string(required('Must be a string.'))
    .min(1, 'This field may not be blank.')
    .max(TEXT_LIMITS.name, tooLong(TEXT_LIMITS.name)),
  mode: z.enum(CHAT_MODES, { error: `Must be one of: ${CHAT_MODES.join(', ')}.` }).optional(),
  thread_id: id.nullable().optional(),
  attachments: z.array(attachment, { error: 'Expected a list.' }).max(10, 'At most 10 attachments.').optional(),
});
export type SendChatInput = z.infer<typeof sendChatInput>;

export const feedbackInput = z.object({
  chat_id: id,
  feedback: z.boolean(required('Must be true or false.')),
  comment: recordable(
    z.string({ error: 'Must be a string.' }).max(TEXT_LIMITS.shortText, tooLong(TEXT_LIMITS.shortText)),
  )
    .nullable()
    .optional(),
});
