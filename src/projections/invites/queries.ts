import type { Filter, FindOptions, ReadStore } from '../../infra/readstore/port.js';
import { INVITES } from './projection.js';

export interface InviteView {
  _id: string;
  id: number;
  code: string;
  status: 'pending' | 'claimed' | 'disabled';
  workspace_ids: number[];
  created_by: number;
  claimed_by: number | null;
  created_at: string;
  claimed_at: string | null;
}

export async function listInvites(db: ReadStore, filter: Filter, options: FindOptions) {
  const invites = db.collection<InviteView>(INVITES);
  const [results, count] = await Promise.all([
    invites.find(filter, { sort: { id: 1 }, ...options }),
    invites.count(filter),
  ]);
  return { results, count };
}

export const findInvite = (db: ReadStore, id: number) =>
  db.collection<InviteView>(INVITES).findOne({ _id: String(id) });

export const publicInvite = (i: InviteView) => ({
  id: i.id,
  code: i.code,
  status: i.status,
  workspace_ids: i.workspace_ids,
  created_by: i.created_by,
  claimed_by: i.claimed_by,
  created_at: i.created_at,
  claimed_at: i.claimed_at,
});
