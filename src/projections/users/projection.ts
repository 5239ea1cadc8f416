import type { UserEvent } from '../../domain/identity/events.js';
import { applyGuarded, deleteGuarded, type Projection } from '../shared/projection.js';

export const USERS = 'users';

/** The `users` read model: the public shape of a user plus what authentication checks on every request. */
export const usersProjection: Projection<UserEvent> = {
  name: 'users',
  collections: [USERS],
  handles: [
    'UserRegistered',
    'UserLoggedIn',
    'PasswordChanged',
    'PasswordReset',
    'UserUpdated',
    'UserDeleted',
    'UserErased',
  ],
  async setup(db) {
    await db.collection(USERS).ensureIndex(['username']);
  },
  async apply(event, db) {
    const users = db.collection(USERS);
    const id = String(event.data.userId);
    const pos = event.position;
    switch (event.type) {
      case 'UserRegistered': {
        const d = event.data;
        return applyGuarded(users, id, pos, {
          $set: {
            id: d.userId,
            username: d.username,
            email: d.email,
            role: d.role,
            suspended: false,
            daily_message_limit: null,
            token_version: 0,
            created_at: d.registeredAt,
            last_login_at: null,
          },
        });
      }
      case 'UserLoggedIn':
        return applyGuarded(users, id, pos, { $set: { last_login_at: event.data.at } }, false);
      case 'PasswordChanged':
      case 'PasswordReset':
        return applyGuarded(users, id, pos, { $inc: { token_version: 1 } }, false);
      case 'UserUpdated': {
        const { role, suspended, dailyMessageLimit } = event.data.changes;
        const $set: Record<string, unknown> = {};
        if (role !== undefined) $set.role = role;
        if (suspended !== undefined) $set.suspended = suspended;
        if (dailyMessageLimit !== undefined) $set.daily_message_limit = dailyMessageLimit;
        return applyGuarded(users, id, pos, { $set }, false);
      }
      case 'UserDeleted':
      case 'UserErased': // an erased user is gone, and so is everything the read model knew of them
        return deleteGuarded(users, id, pos);
    }
  },
};
