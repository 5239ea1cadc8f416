import { z } from 'zod';
import { CHAT_MODES, CHAT_PROVIDERS, type WorkspaceSettings } from '../../domain/workspaces/settings.js';
import type { WorkspaceChanges } from '../../domain/workspaces/events.js';
import { recordable, TEXT_LIMITS, tooLong } from '../shared/validation.js';

// Blank after trimming is refused: the pattern (rather than a minimum length) says so in the API document too.
const name = recordable(
  z
    .string({ error: (i) => (i.input === undefined ? 'This field is required.' : 'Must be a string.') })
    .trim()
    .regex(/\S/, 'This field may not be blank.')
    .max(TEXT_LIMITS.name, tooLong(TEXT_LIMITS.name)),
);

const number = (min: number, max: number, int = false) => {
  const base = z.number({ error: 'A valid number is required.' });
  return (int ? base.int('A valid integer is required.') : base)
    .min(min, `Ensure this value is greater than or equal to ${min}.`)
    .max(max, `Ensure this value is less than or equal to ${max}.`);
};

/** Every workspace setting the API accepts, with its rule. */
const settingsShape = {
  chat_mode: z.enum(CHAT_MODES, { error: `Must be one of: ${CHAT_MODES.join(', ')}.` }),
  chat_provider: z.enum(CHAT_PROVIDERS, { error: `Must be one of: ${CHAT_PROVIDERS.join(', ')}.` }).nullable(),
  chat_model: recordable(
    z
      .string({ error: 'Must be a string.' })
      .trim()
      .min(1, 'This field may not be blank.')
      .max(TEXT_LIMITS.label, tooLong(TEXT_LIMITS.label)),
  ).nullable(),
  openai_prompt: recordable(
    z.string({ error: 'Must be a string.' }).max(TEXT_LIMITS.systemPrompt, tooLong(TEXT_LIMITS.systemPrompt)),
  ).nullable(),
  openai_temp: number(0, 2),
  top_n: number(1, 100, true),
  similarity_threshold: number(0, 1),
  chat_history: number(0, 100, true),
  query_refusal_response: recordable(
    z
      .string({ error: 'Must be a string.' })
      .trim()
      .min(1, 'This field may not be blank.')
      .max(TEXT_LIMITS.shortText, tooLong(TEXT_LIMITS.shortText)),
  ),
};

const unknownKeys = {
  error: (issue: { code?: string; keys?: string[] }) =>
    issue.code === 'unrecognized_keys' ? `Unknown field(s): ${issue.keys?.join(', ')}.` : 'Expected an object.',
};

export const createWorkspaceInput = z.strictObject({ name, ...z.object(settingsShape).partial().shape }, unknownKeys);
export const updateWorkspaceInput = z.strictObject(
  { name: name.optional(), ...z.object(settingsShape).partial().shape },
  unknownKeys,
);
export const memberInput = z.object({
  user_id: z
    .number({ error: 'A valid integer is required.' })
    .int('A valid integer is required.')
    .positive('A valid integer is required.'),
});
export const threadInput = z.object({ name: name.optional() });
export const renameThreadInput = z.object({ name });

type SettingsInput = Partial<{ [K in keyof typeof settingsShape]: z.infer<(typeof settingsShape)[K]> }>;

/** snake_case API fields to the domain's camelCase settings; absent fields stay absent. */
export function toChanges(input: SettingsInput & { name?: string }): WorkspaceChanges {
  const map: Record<keyof SettingsInput, keyof WorkspaceSettings> = {
    chat_mode: 'chatMode',
    chat_provider: 'chatProvider',
    chat_model: 'chatModel',
    openai_prompt: 'openaiPrompt',
    openai_temp: 'openaiTemp',
    top_n: 'topN',
    similarity_threshold: 'similarityThreshold',
    chat_history: 'chatHistory',
    query_refusal_response: 'queryRefusalResponse',
  };
  const changes: Record<string, unknown> = {};
  if (input.name !== undefined) changes.name = input.name;
  for (const [wire, domain] of Object.entries(map)) {
    const value = input[wire as keyof SettingsInput];
    if (value !== undefined) changes[domain] = value;
  }
  return changes as WorkspaceChanges;
}
