import { z } from 'zod';
import { CHAT_MODES } from '../../domain/workspaces/settings.js';

const required = (what: string) => ({ error: (i: { input?: unknown }) => (i.input === undefined ? 'This field is required.' : what) });
const id = z.number(required('A valid integer is required.')).int('A valid integer is required.').positive('A valid integer is required.');
const MAX_MESSAGE = 100_000;

/**
 * A text file sent with the message (AnythingLLM's `{name, mime, contentString}`); its text goes to the
 * model after the message. Images need a vision model, which the provider port does not speak: refused.
 */
const attachment = z.object({
  name: z.string(required('Must be a string.')).trim().min(1).max(255),
  mime: z.string().max(255).optional(),
  contentString: z.string(required('Must be a string.')).max(MAX_MESSAGE, `Ensure this field has no more than ${MAX_MESSAGE} characters.`),
}).refine((a) => !a.mime || a.mime.startsWith('text/') || ['application/json', 'application/xml'].includes(a.mime), {
  message: 'Only text attachments are supported.',
});

export const sendChatInput = z.object({
  message: z.string(required('Must be a string.')).trim().min(1, 'This field may not be blank.')
    .max(MAX_MESSAGE, `Ensure this field has no more than ${MAX_MESSAGE} characters.`),
  workspace_slug: z.string(required('Must be a string.')).min(1, 'This field may not be blank.').max(255),
  mode: z.enum(CHAT_MODES, { error: `Must be one of: ${CHAT_MODES.join(', ')}.` }).optional(),
  thread_id: id.nullable().optional(),
  attachments: z.array(attachment, { error: 'Expected a list.' }).max(10, 'At most 10 attachments.').optional(),
});
export type SendChatInput = z.infer<typeof sendChatInput>;

export const feedbackInput = z.object({
  chat_id: id,
  feedback: z.boolean(required('Must be true or false.')),
  comment: z.string({ error: 'Must be a string.' }).max(2000, 'Ensure this field has no more than 2000 characters.').nullable().optional(),
});
