export const ROLES = ['admin', 'manager', 'default'] as const;
export type Role = (typeof ROLES)[number];

/** Admins manage everyone; managers manage only `default` users and cannot hand out roles above their own. */
export function canManageUser(actorRole: Role, targetRole: Role): boolean {
  if (actorRole === 'admin') return true;
  return actorRole === 'manager' && targetRole === 'default';
}

export function canAssignRole(actorRole: Role, role: Role): boolean {
  return actorRole === 'admin' || (actorRole === 'manager' && role === 'default');
}

export const isPrivileged = (role: Role) => role === 'admin' || role === 'manager';
