import type { InviteEvent } from '../../domain/access/events.js';
import { applyGuarded, type Projection } from '../shared/projection.js';

export const INVITES = 'invites';

export const invitesProjection: Projection<InviteEvent> = {
  name: 'invites',
  collections: [INVITES],
  handles: ['InviteCreated', 'InviteAccepted', 'InviteDisabled'],
  async apply(event, db) {
    const invites = db.collection(INVITES);
    const id = String(event.data.inviteId);
    const pos = event.position;
    switch (event.type) {
      case 'InviteCreated': {
        const d = event.data;
        return applyGuarded(invites, id, pos, {
          $set: {
            id: d.inviteId,
            code: d.code,
            status: 'pending',
            workspace_ids: d.workspaceIds,
            created_by: d.createdBy,
            claimed_by: null,
            created_at: d.at,
            claimed_at: null,
          },
        });
      }
      case 'InviteAccepted':
        return applyGuarded(
          invites,
          id,
          pos,
          { $set: { status: 'claimed', claimed_by: event.data.userId, claimed_at: event.data.at } },
          false,
        );
      case 'InviteDisabled':
        return applyGuarded(invites, id, pos, { $set: { status: 'disabled' } }, false);
    }
  },
};
