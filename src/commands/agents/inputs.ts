import { z } from 'zod';
import { recordable, TEXT_LIMITS, tooLong } from '../shared/validation.js';

const MAX_MESSAGE = TEXT_LIMITS.chatMessage;
const required = (what: string) => ({
  error: (i: { input?: unknown }) => (i.input === undefined ? 'This field is required.' : what),
});

/** An `invoke`: the task, the client's own tools (checked by domain/agents/tools.ts) and an optional id of the client's choosing. */
export const invokeAgentInput = z.object({
  message: recordable(
    z
      .string(required('Must be a string.'))
      .trim()
      .min(1, 'This field may not be blank.')
      .max(MAX_MESSAGE, tooLong(MAX_MESSAGE)),
  ),
  tools: z.unknown().optional(),
  invocation_id: z.uuid('Must be a valid UUID.').optional(),
});

/** A `tool_response`: exactly one of `result` (any JSON; a string is passed on as it is) and `error`. */
export const toolResponseInput = z
  .object({
    invocation_id: z.string(required('Must be a string.')).min(1).max(TEXT_LIMITS.label),
    call_id: z.string(required('Must be a string.')).min(1).max(TEXT_LIMITS.label),
    result: z.unknown().optional(),
    error: recordable(
      z.string('Must be a string.').max(TEXT_LIMITS.shortText, tooLong(TEXT_LIMITS.shortText)),
    ).optional(),
  })
  .refine((r) => (r.result === undefined) !== (r.error === undefined), {
    message: 'Send either a result or an error.',
    path: ['result'],
  });
export type ToolResponseInput = z.infer<typeof toolResponseInput>;
