import { passwordProblems } from '../../domain/identity/password-policy.js';
import type { Role } from '../../domain/identity/roles.js';
import { userDecider } from '../../domain/identity/user.js';
import { fieldError, forbidden, invalid } from '../../domain/shared/errors.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import type { CommandContext } from '../shared/context.js';
import { handleCommand } from '../shared/handle.js';
import { ownerOf, release, reservationStream, reserve } from '../shared/reservation.js';
import { nextId } from '../shared/sequence.js';
import { parseInput } from '../shared/validation.js';
import { currentSetting } from '../system/settings.js';
import { hashPassword } from './hashing.js';
import { registerInput } from './inputs.js';

export const userStream = (userId: number) => `user-${userId}`;
export const usernameStream = (username: string) => reservationStream('username', username);
export const emailStream = (email: string) => reservationStream('email', email);

export interface Registration {
  userId: number;
  position: number;
}

/**
 * Registers a user. Open while `allow_registration` holds; an admin may always create users.
 * The first user to register becomes admin: whoever first reserves `bootstrap-admin`.
 */
export async function registerUser(
  store: EventStore,
  rawInput: unknown,
  ctx: CommandContext,
  options: { role?: Role } = {},
): Promise<Registration> {
  const input = parseInput(registerInput, rawInput);
  const problems = passwordProblems(input.password, input.username);
  if (problems.length) throw invalid('Validation failed.', { password: problems });
  const byAdmin = ctx.actor?.role === 'admin';
  if (!byAdmin && !options.role && !(await currentSetting(store, 'allow_registration'))) throw forbidden();
  return openAccount(store, input, ctx, options);
}

export interface NewAccount {
  username: string;
  email: string;
  password: string;
}

export interface AccountOptions {
  /** Without one, the first account becomes admin and later ones default. */
  role?: Role;
  /**
   * Runs once the username and email are held for the new id and before the user exists (an invite is
   * used here). If it throws, the reservations are released and no user is recorded.
   */
  beforeRecord?: (userId: number) => Promise<void>;
}

/** Reserves the username and email, then records the user; the checks the registration rules share. */
export async function openAccount(
  store: EventStore,
  input: NewAccount,
  ctx: CommandContext,
  options: AccountOptions = {},
): Promise<Registration> {
  const names = usernameStream(input.username);
  const emails = emailStream(input.email);
  // Checked before anything is written, so a duplicate appends nothing; the reservations below still
  // decide when two registrations race for the same name.
  if (await ownerOf(store, names)) throw fieldError('username', 'A user with that username already exists.');
  if (await ownerOf(store, emails)) throw fieldError('email', 'A user with that email already exists.');

  const passwordHash = await hashPassword(input.password);
  const userId = await nextId(store, 'user', ctx);
  const owner = String(userId);
  if (!(await reserve(store, names, owner, ctx)))
    throw fieldError('username', 'A user with that username already exists.');
  try {
    if (!(await reserve(store, emails, owner, ctx)))
      throw fieldError('email', 'A user with that email already exists.');
    await options.beforeRecord?.(userId);
    const role = options.role ?? ((await reserve(store, 'bootstrap-admin', owner, ctx)) ? 'admin' : 'default');
    const { position } = await handleCommand(
      store,
      userStream(userId),
      userDecider,
      {
        type: 'RegisterUser',
        userId,
        username: input.username,
        email: input.email,
        passwordHash,
        role,
        now: ctx.now,
      },
      ctx,
    );
    return { userId, position };
  } catch (err) {
    await release(store, emails, owner, ctx);
    await release(store, names, owner, ctx);
    throw err;
  }
}
