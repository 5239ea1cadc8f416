import { sha256, type TokenService } from '../commands/identity/tokens.js';
import type { PasswordResetRequested, UserErased } from '../domain/identity/events.js';
import { ERASED } from '../domain/shared/personal-data.js';
import type { EventStore, RecordedEvent } from '../infra/eventstore/port.js';
import type { Mailer } from '../infra/mail/port.js';
import type { Collection } from '../infra/readstore/port.js';
import { CheckpointedSubscriber } from '../projections/shared/checkpointed-subscriber.js';

/**
 * Sends the password-reset mail for each PasswordResetRequested, re-deriving the token from the event id;
 * forgets the mails kept for a user when they are erased.
 */
export function mailReactor(
  store: EventStore,
  checkpoints: Collection,
  tokens: TokenService,
  mailer: Mailer,
  onError: (err: Error) => void,
) {
  return new CheckpointedSubscriber({
    name: 'reactor-mail',
    store,
    checkpoints,
    types: ['PasswordResetRequested', 'UserErased'],
    onError,
    async handle(events: RecordedEvent[]) {
      for (const event of events) {
        if (event.type === 'UserErased') {
          await mailer.forget((event as unknown as UserErased).data.userId);
          continue;
        }
        const { userId, email, tokenHash, expiresAt } = (event as unknown as PasswordResetRequested).data;
        if (email === ERASED) continue; // the user was erased: there is no one to write to
        const token = tokens.passwordResetToken(userId, event.id);
        // Expired, or issued under another JWT secret: such a token could not work, so it is not sent.
        if (new Date(expiresAt) <= new Date() || sha256(token) !== tokenHash) continue;
        await mailer.send({
          to: email,
          recipientId: userId,
          subject: 'Reset your password',
          text: [
            'Someone asked to reset the password of your account.',
            'If it was you, send this token to POST /api/users/reset_password/ with your new password:',
            '',
            `token: ${token}`,
            '',
            `It can be used once and expires at ${expiresAt}. If it was not you, ignore this mail.`,
          ].join('\n'),
        });
      }
    },
  });
}
