import { apiKeyDecider } from '../../../src/domain/access/api-key.js';
import type { ApiKeyEvent } from '../../../src/domain/access/events.js';
import { specFor } from '../given-when-then.js';

const given = specFor(apiKeyDecider);
const now = new Date('2026-03-04T05:06:07.000Z');
const at = now.toISOString();
const admin = { userId: 1, role: 'admin' as const };
const manager = { userId: 2, role: 'manager' as const };
const alice = { userId: 3, role: 'default' as const };
const bob = { userId: 4, role: 'default' as const };
const keyHash = 'a'.repeat(64);

const apiKey: ApiKeyEvent = {
  type: 'ApiKeyCreated',
  data: { keyId: 7, kind: 'api', userId: 1, keyHash, masked: 'sk_live_...abcd', at },
};
const aliceExtensionKey: ApiKeyEvent = {
  type: 'ApiKeyCreated',
  data: { keyId: 8, kind: 'browser_extension', userId: 3, keyHash, masked: 'brx_...abcd', at },
};

describe('API key decider', () => {
  it('lets an admin create an API key, recording its hash and masked form only', () =>
    given([])
      .when({ type: 'CreateApiKey', actor: admin, keyId: 7, kind: 'api', keyHash, masked: 'sk_live_...abcd', now })
      .then([apiKey]));

  it('refuses API keys to managers and default users', () => {
    for (const actor of [manager, alice]) {
      given([])
        .when({ type: 'CreateApiKey', actor, keyId: 7, kind: 'api', keyHash, masked: 'sk_live_...abcd', now })
        .thenThrows('forbidden');
    }
  });

  it('lets any user create a browser-extension key, bound to that user', () =>
    given([])
      .when({
        type: 'CreateApiKey',
        actor: alice,
        keyId: 8,
        kind: 'browser_extension',
        keyHash,
        masked: 'brx_...abcd',
        now,
      })
      .then([aliceExtensionKey]));

  it('never reuses a key id', () =>
    given([apiKey])
      .when({ type: 'CreateApiKey', actor: admin, keyId: 7, kind: 'api', keyHash, masked: 'x', now })
      .thenThrows('conflict'));

  it('lets an admin revoke a key', () =>
    given([apiKey])
      .when({ type: 'RevokeApiKey', actor: admin, now })
      .then([{ type: 'ApiKeyRevoked', data: { keyId: 7, kind: 'api', userId: 1, revokedBy: 1, at } }]));

  it('lets the owner or an admin revoke a browser-extension key, and no one else', () => {
    for (const actor of [alice, admin]) {
      given([aliceExtensionKey])
        .when({ type: 'RevokeApiKey', actor, now })
        .then([
          {
            type: 'ApiKeyRevoked',
            data: { keyId: 8, kind: 'browser_extension', userId: 3, revokedBy: actor.userId, at },
          },
        ]);
    }
    for (const actor of [bob, manager])
      given([aliceExtensionKey]).when({ type: 'RevokeApiKey', actor, now }).thenThrows('not_found');
  });

  it('does not revoke a key twice, nor one that does not exist', () => {
    const revoked: ApiKeyEvent = {
      type: 'ApiKeyRevoked',
      data: { keyId: 7, kind: 'api', userId: 1, revokedBy: 1, at },
    };
    given([apiKey, revoked]).when({ type: 'RevokeApiKey', actor: admin, now }).thenThrows('not_found');
    given([]).when({ type: 'RevokeApiKey', actor: admin, now }).thenThrows('not_found');
  });
});
