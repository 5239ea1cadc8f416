import type { InviteEvent } from '../../../src/domain/access/events.js';
import { inviteDecider } from '../../../src/domain/access/invite.js';
import { specFor } from '../given-when-then.js';

const given = specFor(inviteDecider);
const now = new Date('2026-03-04T05:06:07.000Z');
const at = now.toISOString();
const admin = { userId: 1, role: 'admin' as const };
const manager = { userId: 2, role: 'manager' as const };
const member = { userId: 3, role: 'default' as const };

const created: InviteEvent = {
  type: 'InviteCreated',
  data: { inviteId: 5, code: 'CODE', workspaceIds: [1, 2], createdBy: 2, at },
};
const accepted: InviteEvent = { type: 'InviteAccepted', data: { inviteId: 5, userId: 9, username: 'newbie', at } };
const disabled: InviteEvent = { type: 'InviteDisabled', data: { inviteId: 5, disabledBy: 1, at } };

describe('invite decider', () => {
  it('lets an admin or a manager create an invite, each workspace once', () => {
    given([])
      .when({ type: 'CreateInvite', actor: manager, inviteId: 5, code: 'CODE', workspaceIds: [1, 2, 1], now })
      .then([created]);
    given([])
      .when({ type: 'CreateInvite', actor: admin, inviteId: 5, code: 'CODE', workspaceIds: [], now })
      .then([{ type: 'InviteCreated', data: { inviteId: 5, code: 'CODE', workspaceIds: [], createdBy: 1, at } }]);
  });

  it('refuses invites from default users', () =>
    given([])
      .when({ type: 'CreateInvite', actor: member, inviteId: 5, code: 'CODE', workspaceIds: [], now })
      .thenThrows('forbidden'));

  it('accepts a pending invite once', () => {
    given([created]).when({ type: 'AcceptInvite', userId: 9, username: 'newbie', now }).then([accepted]);
    given([created, accepted])
      .when({ type: 'AcceptInvite', userId: 10, username: 'other', now })
      .thenThrows('validation', 'code');
  });

  it('refuses a disabled or unknown invite with the same answer', () => {
    given([created, disabled])
      .when({ type: 'AcceptInvite', userId: 9, username: 'newbie', now })
      .thenThrows('validation', 'code');
    given([]).when({ type: 'AcceptInvite', userId: 9, username: 'newbie', now }).thenThrows('validation', 'code');
  });

  it('lets an admin or manager disable a pending invite; disabling again changes nothing', () => {
    given([created]).when({ type: 'DisableInvite', actor: admin, now }).then([disabled]);
    given([created, disabled]).when({ type: 'DisableInvite', actor: manager, now }).then([]);
  });

  it('does not disable a used invite, and default users disable nothing', () => {
    given([created, accepted]).when({ type: 'DisableInvite', actor: admin, now }).thenThrows('validation');
    given([created]).when({ type: 'DisableInvite', actor: member, now }).thenThrows('forbidden');
    given([]).when({ type: 'DisableInvite', actor: admin, now }).thenThrows('not_found');
    given([]).when({ type: 'DisableInvite', actor: member, now }).thenThrows('forbidden'); // not not_found: no probing for ids
  });
});
