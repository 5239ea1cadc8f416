import { z } from 'zod';
import { emailSchema, passwordSchema, usernameSchema } from '../identity/inputs.js';

const required = (what: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'This field is required.' : `${what}`),
});

export const verifyKeyInput = z.object({
  key: z.string(required('Must be a string.')).min(1, 'This field may not be blank.'),
});

export const createInviteInput = z.strictObject(
  {
    workspace_ids: z
      .array(
        z
          .number({ error: 'A valid integer is required.' })
          .int('A valid integer is required.')
          .positive('A valid integer is required.'),
        { error: 'Expected a list of workspace ids.' },
      )
      .max(100, 'Ensure this field has no more than 100 elements.')
      .default([]),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `Unknown field(s): ${issue.keys.join(', ')}.` : 'Expected an object.',
  },
);

export const claimInviteInput = z.object({
  code: z
    .string(required('Must be a string.'))
    .trim()
    .min(1, 'This field may not be blank.')
    .max(64, 'Invalid invite code.'),
  username: usernameSchema,
  password: passwordSchema,
  email: emailSchema,
});
