import { z } from 'zod';
import { ROLES } from '../../domain/identity/roles.js';
import { TEXT_LIMITS, tooLong } from '../shared/validation.js';

const required = (name: string) => ({
  error: (issue: { input?: unknown }) =>
    issue.input === undefined ? 'This field is required.' : `${name} must be a string.`,
});

export const usernameSchema = z
  .string(required('Username'))
  .min(1, 'This field may not be blank.')
  .max(TEXT_LIMITS.username, tooLong(TEXT_LIMITS.username))
  .regex(
    /^[\w.@+-]+$/,
    'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
  );

const password = z
  .string(required('Password'))
  .min(1, 'This field may not be blank.')
  .max(TEXT_LIMITS.password, tooLong(TEXT_LIMITS.password));
export const passwordSchema = password;
/**
 * zod's email rule, with domain labels that neither start nor end with a hyphen (RFC 1035): what the
 * API document's `format: email` accepts, so a client validating against it and the server agree.
 */
const EMAIL =
  /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$/;
export const emailSchema = z
  .string(required('Email'))
  .max(TEXT_LIMITS.email, tooLong(TEXT_LIMITS.email))
  .email({ pattern: EMAIL, error: 'Enter a valid email address.' });

export const registerInput = z
  .object({
    username: usernameSchema,
    email: emailSchema,
    password,
    password_confirm: password,
  })
  .refine((v) => v.password === v.password_confirm, { path: ['password_confirm'], message: 'Passwords do not match.' });

/** Any username a user could have fits the limit: a longer one is refused before it could reach the log. */
const attemptedUsername = z
  .string(required('Username'))
  .min(1, 'This field may not be blank.')
  .max(TEXT_LIMITS.username, tooLong(TEXT_LIMITS.username));

export const loginInput = z.object({ username: attemptedUsername, password });

export const refreshInput = z.object({
  refresh: z.string(required('Refresh token')).min(1, 'This field may not be blank.'),
});

export const changePasswordInput = z
  .object({
    old_password: password,
    new_password: password,
    new_password_confirm: password,
  })
  .refine((v) => v.new_password === v.new_password_confirm, {
    path: ['new_password_confirm'],
    message: 'Passwords do not match.',
  });

export const requestResetInput = z.object({ username: attemptedUsername });

export const resetPasswordInput = z
  .object({
    token: z.string(required('Token')).min(1, 'This field may not be blank.'),
    new_password: password,
    new_password_confirm: password,
  })
  .refine((v) => v.new_password === v.new_password_confirm, {
    path: ['new_password_confirm'],
    message: 'Passwords do not match.',
  });

export const updateUserInput = z.strictObject(
  {
    role: z.enum(ROLES, { error: `Must be one of: ${ROLES.join(', ')}.` }).optional(),
    suspended: z.boolean({ error: 'Must be a boolean.' }).optional(),
    daily_message_limit: z
      .number({ error: 'Must be a whole number or null.' })
      .int('Must be a whole number or null.')
      .min(0, 'Must be zero or more.')
      .max(1_000_000)
      .nullable()
      .optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `Unknown field(s): ${issue.keys.join(', ')}.` : 'Expected an object.',
  },
);
