import type { Decider, DomainEvent } from '../shared/decider.js';
import { fieldError, notFound } from '../shared/errors.js';
import { TEXT_LIMITS, unsafeTextReason } from '../shared/text.js';

export const SETTING_LABELS = [
  'custom_app_name',
  'support_email',
  'footer_data',
  'default_system_prompt',
  'text_splitter_chunk_size',
  'text_splitter_chunk_overlap',
  'allow_registration',
  'llm_provider',
] as const;
export type SettingLabel = (typeof SETTING_LABELS)[number];
/** null: not set here, the server's configuration decides (llm_provider falls back to LLM_PROVIDER). */
export type SettingValue = string | number | boolean | null;

interface SettingRule {
  defaultValue: SettingValue;
  /** Returns the normalised value or a message saying what is wrong. */
  parse(value: unknown, current: (label: SettingLabel) => SettingValue): SettingValue | { error: string };
}

const text = (max: number, defaultValue = ''): SettingRule => ({
  defaultValue,
  parse: (v) => {
    if (typeof v !== 'string' || v.length > max) return { error: `Must be a string of at most ${max} characters.` };
    const unsafe = unsafeTextReason(v);
    return unsafe ? { error: unsafe } : v;
  },
});

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const LLM_PROVIDERS = ['extractive', 'openai', 'anthropic'] as const;

export const SETTING_RULES = {
  custom_app_name: text(TEXT_LIMITS.appName, 'Chronicle'),
  support_email: {
    defaultValue: '',
    parse: (v: unknown) =>
      typeof v === 'string' && v.length <= TEXT_LIMITS.email && !unsafeTextReason(v) && (v === '' || EMAIL.test(v))
        ? v
        : { error: 'Enter a valid email address.' },
  },
  footer_data: text(TEXT_LIMITS.footer),
  default_system_prompt: text(
    TEXT_LIMITS.systemPrompt,
    'Given the following conversation, relevant context, and a follow up question, reply with an answer to the current question the user is asking.',
  ),
  text_splitter_chunk_size: {
    defaultValue: 1000,
    parse: (v: unknown, current: (label: SettingLabel) => SettingValue) => {
      const overlap = current('text_splitter_chunk_overlap') as number;
      return Number.isInteger(v) && (v as number) >= 100 && (v as number) <= 8000 && (v as number) > overlap
        ? (v as number)
        : { error: `Must be an integer from 100 to 8000, above the chunk overlap (${overlap}).` };
    },
  },
  text_splitter_chunk_overlap: {
    defaultValue: 20,
    parse: (v: unknown, current: (label: SettingLabel) => SettingValue) => {
      const size = current('text_splitter_chunk_size') as number;
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) < size
        ? (v as number)
        : { error: `Must be an integer from 0 to below the chunk size (${size}).` };
    },
  },
  allow_registration: {
    defaultValue: true,
    parse: (v: unknown) => (typeof v === 'boolean' ? v : { error: 'Must be true or false.' }),
  },
  // Unset (null) until an admin picks one: the server's LLM_PROVIDER answers; null goes back to it.
  llm_provider: {
    defaultValue: null,
    parse: (v: unknown) =>
      v === null || (LLM_PROVIDERS as readonly unknown[]).includes(v)
        ? (v as string | null)
        : { error: `Must be one of: ${LLM_PROVIDERS.join(', ')}, or null for the server's LLM_PROVIDER.` },
  },
} satisfies Record<SettingLabel, SettingRule>;

export const isSettingLabel = (label: string): label is SettingLabel => Object.hasOwn(SETTING_RULES, label);
export const settingStream = (label: SettingLabel) => `settings-${label}`;

export type SettingUpdated = DomainEvent<
  'SettingUpdated',
  { label: SettingLabel; value: SettingValue; previous: SettingValue; at: string }
>;
export type SettingState = { label: SettingLabel | null; value: SettingValue | null };
export type UpdateSetting = {
  type: 'UpdateSetting';
  label: string;
  value: unknown;
  now: Date;
  /** Current values of the other settings, for rules that depend on them. */
  current: (label: SettingLabel) => SettingValue;
};

export const settingDecider: Decider<SettingState, UpdateSetting, SettingUpdated> = {
  initialState: () => ({ label: null, value: null }),
  evolve: (_state, event) => ({ label: event.data.label, value: event.data.value }),
  decide(command, state) {
    if (!isSettingLabel(command.label)) throw notFound();
    const label = command.label;
    const parsed = SETTING_RULES[label].parse(command.value, command.current);
    if (parsed !== null && typeof parsed === 'object') throw fieldError('value', parsed.error);
    const previous = state.value ?? SETTING_RULES[label].defaultValue;
    if (parsed === previous) return [];
    return [{ type: 'SettingUpdated', data: { label, value: parsed, previous, at: command.now.toISOString() } }];
  },
};
