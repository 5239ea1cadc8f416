import type { Role } from '../../domain/identity/roles.js';
import type { Filter, FindOptions, ReadStore } from '../../infra/readstore/port.js';
import { USERS } from './projection.js';

export interface UserView {
  _id: string;
  id: number;
  username: string;
  email: string;
  role: Role;
  suspended: boolean;
  daily_message_limit: number | null;
  token_version: number;
  created_at: string;
  last_login_at: string | null;
}

export const findUser = (db: ReadStore, id: number) => db.collection<UserView>(USERS).findOne({ _id: String(id) });

/** The users of these ids that exist, in no particular order (one read for a batch). */
export const findUsers = (db: ReadStore, ids: readonly number[]) =>
  db.collection<UserView>(USERS).find({ _id: { $in: ids.map(String) } });

export async function listUsers(db: ReadStore, filter: Filter, options: FindOptions) {
  const users = db.collection<UserView>(USERS);
  const [results, count] = await Promise.all([
    users.find(filter, { sort: { id: 1 }, ...options }),
    users.count(filter),
  ]);
  return { results, count };
}

/** The user as the API shows it. */
export const publicUser = (u: UserView) => ({
  id: u.id,
  username: u.username,
  email: u.email,
  role: u.role,
  suspended: u.suspended,
  daily_message_limit: u.daily_message_limit,
  created_at: u.created_at,
  last_login_at: u.last_login_at,
});

export const countUsers = (db: ReadStore) => db.collection(USERS).count({});

/** Active admins other than `userId` and those `excluding` (the last admin may not be erased). */
export const otherAdmins = (db: ReadStore, userId: number, excluding: readonly number[] = []) =>
  db.collection(USERS).count({ role: 'admin', suspended: false, id: { $nin: [userId, ...excluding] } });
