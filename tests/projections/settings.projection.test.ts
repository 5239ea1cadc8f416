/**
 * The settings read model: one document per label, holding the value of the latest SettingUpdated.
 */
import type { SettingUpdated } from '../../src/domain/system/settings.js';
import type { WorkspaceDeleted } from '../../src/domain/workspaces/events.js';
import { SETTINGS, settingsProjection } from '../../src/projections/settings/projection.js';
import { projectionSpec } from '../support/projection-spec.js';

const spec = projectionSpec(settingsProjection);

const updated = (
  label: SettingUpdated['data']['label'],
  value: SettingUpdated['data']['value'],
  previous: SettingUpdated['data']['value'],
  at: string,
): SettingUpdated => ({ type: 'SettingUpdated', data: { label, value, previous, at } });

describe('settings projection', () => {
  it('given a setting updated, then its label holds the value and when it changed', () =>
    spec.given(updated('custom_app_name', 'Acme Docs', null, '2026-01-01T00:00:00.000Z')).then(SETTINGS, [
      {
        _id: 'custom_app_name',
        label: 'custom_app_name',
        value: 'Acme Docs',
        updated_at: '2026-01-01T00:00:00.000Z',
      },
    ]));

  it('given the same setting updated twice, then it holds the latest value', () =>
    spec
      .given(
        updated('text_splitter_chunk_size', 500, 1000, '2026-01-01T00:00:00.000Z'),
        updated('text_splitter_chunk_size', 2000, 500, '2026-01-02T00:00:00.000Z'),
      )
      .then(SETTINGS, [
        {
          _id: 'text_splitter_chunk_size',
          label: 'text_splitter_chunk_size',
          value: 2000,
          updated_at: '2026-01-02T00:00:00.000Z',
        },
      ]));

  it('given two settings updated, then one document for each label', () =>
    spec
      .given(
        updated('support_email', 'help@example.com', null, '2026-01-01T00:00:00.000Z'),
        updated('allow_registration', false, true, '2026-01-01T00:00:01.000Z'),
      )
      .then(SETTINGS, [
        {
          _id: 'allow_registration',
          label: 'allow_registration',
          value: false,
          updated_at: '2026-01-01T00:00:01.000Z',
        },
        {
          _id: 'support_email',
          label: 'support_email',
          value: 'help@example.com',
          updated_at: '2026-01-01T00:00:00.000Z',
        },
      ]));

  it('given only events of other models, then no setting', () =>
    spec
      .given({
        type: 'WorkspaceDeleted',
        data: { workspaceId: 1, slug: 'docs', at: '2026-01-01T00:00:00.000Z' },
      } satisfies WorkspaceDeleted)
      .then(SETTINGS, []));

  it('given the updates delivered again, then nothing changes', () =>
    spec
      .given(
        updated('footer_data', '[]', null, '2026-01-01T00:00:00.000Z'),
        updated('footer_data', '[{"url":"https://example.com"}]', '[]', '2026-01-02T00:00:00.000Z'),
      )
      .thenRedeliveryChangesNothing());
});
