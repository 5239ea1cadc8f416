import {
  type SettingUpdated,
  settingDecider,
  SETTING_RULES,
  type UpdateSetting,
} from '../../../src/domain/system/settings.js';
import { specFor } from '../given-when-then.js';

const given = specFor(settingDecider);
const now = new Date('2026-01-02T03:04:05.000Z');
const at = now.toISOString();
const defaults = (label: keyof typeof SETTING_RULES) => SETTING_RULES[label].defaultValue;
const set = (label: string, value: unknown, current = defaults): UpdateSetting => ({
  type: 'UpdateSetting',
  label,
  value,
  now,
  current,
});

describe('settings decider', () => {
  it('records a valid change with the value it replaces', () =>
    given([])
      .when(set('text_splitter_chunk_size', 500))
      .then([{ type: 'SettingUpdated', data: { label: 'text_splitter_chunk_size', value: 500, previous: 1000, at } }]));

  it('records nothing when the value does not change', () => {
    const earlier: SettingUpdated = {
      type: 'SettingUpdated',
      data: { label: 'allow_registration', value: false, previous: true, at },
    };
    given([earlier]).when(set('allow_registration', false)).then([]);
  });

  it('knows no unknown label', () => given([]).when(set('favourite_colour', 'blue')).thenThrows('not_found'));

  it.each([
    ['text_splitter_chunk_size', 99],
    ['text_splitter_chunk_size', 8001],
    ['text_splitter_chunk_size', 1.5],
    ['text_splitter_chunk_size', '500'],
    ['text_splitter_chunk_overlap', -1],
    ['allow_registration', 'yes'],
    ['support_email', 'not-an-email'],
    ['llm_provider', 'skynet'],
    ['custom_app_name', null],
    ['allow_registration', null],
  ])('refuses %s = %p', (label, value) => given([]).when(set(label, value)).thenThrows('validation', 'value'));

  it("leaves llm_provider unset (null: the server's LLM_PROVIDER) until chosen, and takes null to go back to it", () => {
    const chosen: SettingUpdated = {
      type: 'SettingUpdated',
      data: { label: 'llm_provider', value: 'openai', previous: null, at },
    };
    given([]).when(set('llm_provider', 'openai')).then([chosen]);
    given([chosen])
      .when(set('llm_provider', null))
      .then([{ type: 'SettingUpdated', data: { label: 'llm_provider', value: null, previous: 'openai', at } }]);
    given([]).when(set('llm_provider', null)).then([]);
  });

  it('keeps the overlap below the current chunk size', () => {
    const chunkSize400 = (label: keyof typeof SETTING_RULES) =>
      label === 'text_splitter_chunk_size' ? 400 : defaults(label);
    given([])
      .when(set('text_splitter_chunk_overlap', 400, chunkSize400))
      .thenThrows('validation', 'value');
    given([])
      .when(set('text_splitter_chunk_overlap', 399, chunkSize400))
      .then([{ type: 'SettingUpdated', data: { label: 'text_splitter_chunk_overlap', value: 399, previous: 20, at } }]);
  });
});

describe('chunk size and overlap', () => {
  it('keeps the chunk size above the current overlap', () => {
    const overlap499 = (label: keyof typeof SETTING_RULES) =>
      label === 'text_splitter_chunk_overlap' ? 499 : defaults(label);
    given([])
      .when(set('text_splitter_chunk_size', 400, overlap499))
      .thenThrows('validation', 'value');
    given([])
      .when(set('text_splitter_chunk_size', 500, overlap499))
      .then([{ type: 'SettingUpdated', data: { label: 'text_splitter_chunk_size', value: 500, previous: 1000, at } }]);
  });
});
