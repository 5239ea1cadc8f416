/**
 * The invites read model: an invite is pending when created, claimed by the account it created, or
 * disabled; acceptance and disabling of an invite never seen create nothing.
 */
import type { InviteAccepted, InviteCreated, InviteDisabled } from '../../src/domain/access/events.js';
import type { SettingUpdated } from '../../src/domain/system/settings.js';
import { INVITES, invitesProjection } from '../../src/projections/invites/projection.js';
import { projectionSpec } from '../support/projection-spec.js';

const spec = projectionSpec(invitesProjection);

const created = (inviteId: number, code: string, workspaceIds: number[] = []): InviteCreated => ({
  type: 'InviteCreated',
  data: { inviteId, code, workspaceIds, createdBy: 1, at: '2026-01-01T00:00:00.000Z' },
});
const accepted = (inviteId: number, userId: number): InviteAccepted => ({
  type: 'InviteAccepted',
  data: { inviteId, userId, username: `user${userId}`, at: '2026-01-02T00:00:00.000Z' },
});
const disabled = (inviteId: number): InviteDisabled => ({
  type: 'InviteDisabled',
  data: { inviteId, disabledBy: 1, at: '2026-01-03T00:00:00.000Z' },
});

const pending = (inviteId: number, code: string, workspaceIds: number[] = []) => ({
  _id: String(inviteId),
  id: inviteId,
  code,
  status: 'pending',
  workspace_ids: workspaceIds,
  created_by: 1,
  claimed_by: null,
  created_at: '2026-01-01T00:00:00.000Z',
  claimed_at: null,
});

describe('invites projection', () => {
  it('given an invite created, then it is pending with its code and workspaces, unclaimed', () =>
    spec.given(created(1, 'welcome-aboard', [3, 4])).then(INVITES, [pending(1, 'welcome-aboard', [3, 4])]));

  it('given an invite accepted, then it is claimed by the new account, when it was', () =>
    spec
      .given(created(1, 'welcome-aboard'), accepted(1, 7))
      .then(INVITES, [
        { ...pending(1, 'welcome-aboard'), status: 'claimed', claimed_by: 7, claimed_at: '2026-01-02T00:00:00.000Z' },
      ]));

  it('given an invite disabled, then it is disabled and still unclaimed', () =>
    spec
      .given(created(1, 'welcome-aboard'), disabled(1))
      .then(INVITES, [{ ...pending(1, 'welcome-aboard'), status: 'disabled' }]));

  it('given two invites and one disabled, then only that one changes', () =>
    spec
      .given(created(1, 'first-code'), created(2, 'second-code'), disabled(2))
      .then(INVITES, [pending(1, 'first-code'), { ...pending(2, 'second-code'), status: 'disabled' }]));

  it('given an acceptance or a disabling of an invite never created, then no invite', () =>
    spec.given(accepted(9, 7), disabled(9)).then(INVITES, []));

  it('given only events of other models, then no invite', () =>
    spec
      .given({
        type: 'SettingUpdated',
        data: { label: 'custom_app_name', value: 'Acme', previous: null, at: '2026-01-01T00:00:00.000Z' },
      } satisfies SettingUpdated)
      .then(INVITES, []));

  it('given the events delivered again, then nothing changes', () =>
    spec
      .given(created(1, 'welcome-aboard'), accepted(1, 7), created(2, 'second-code'), disabled(2))
      .thenRedeliveryChangesNothing());
});
