/**
 * Which fields of which events are personal data, and whose. The event store's encryption
 * (infra/eventstore/encrypting.ts) seals exactly these under the owner's key, and erasure
 * destroys that key; read models scrub the same fields when a user is erased.
 *
 * Owners ("subjects") are key ids: `user-<id>` for a user, `embedsession-<uuid>/<session id>` for the
 * visitor of an embed widget session (a widget visitor is no user, so their transcript has a key of its
 * own), and `anonymous` for the address of a request nobody is signed in to that concerns no one in
 * particular (the bookkeeping of a registration, for instance).
 */
import type { EventMetadata } from './event-metadata.js';

/** What a personal value reads as once its key is destroyed. */
export const ERASED = '[erased]';

export const ANONYMOUS_SUBJECT = 'anonymous';
export const userSubject = (userId: number | string) => `user-${userId}`;
export const embedSessionSubject = (embedUuid: string, sessionId: string) => `embedsession-${embedUuid}/${sessionId}`;

interface PersonalFields {
  /** Top-level data fields holding personal data. */
  fields: readonly string[];
  /** Whose they are, from the event's data; without it, the acting user's (metadata.actorId). */
  subject?: (data: Record<string, unknown>) => string;
}

const ofUser = (data: Record<string, unknown>) => userSubject(data.userId as number);

/**
 * Every event type carrying personal data (src/domain/<context>/events.ts). Chat answers and feedback
 * belong to the user who asked, who is the acting user of those events.
 */
export const PERSONAL_DATA: Readonly<Record<string, PersonalFields>> = {
  UserRegistered: { fields: ['username', 'email'], subject: ofUser },
  UserDeleted: { fields: ['username', 'email'], subject: ofUser },
  PasswordResetRequested: { fields: ['email'], subject: ofUser },
  InviteAccepted: { fields: ['username'], subject: ofUser },
  ChatRequested: { fields: ['prompt'], subject: ofUser },
  ChatCompleted: { fields: ['response'] },
  ChatFeedbackGiven: { fields: ['comment'] },
  EmbedChatCompleted: {
    fields: ['prompt', 'response'],
    subject: (d) => embedSessionSubject(d.embedUuid as string, d.sessionId as string),
  },
};

/** Metadata of every event that is personal: where the request came from. */
export const PERSONAL_METADATA = ['ip', 'userAgent'] as const satisfies readonly (keyof EventMetadata)[];

/** The personal data fields of an event type (none for most). */
export const personalFields = (type: string): readonly string[] => PERSONAL_DATA[type]?.fields ?? [];

/**
 * Whose personal data an event holds, data and metadata alike: the owner its type names, else the
 * acting user (an API key acts as the user who created it), else the widget session of an embed chat,
 * else nobody in particular.
 */
export function subjectOf(type: string, data: unknown, metadata: Partial<EventMetadata> | undefined): string {
  const named = PERSONAL_DATA[type]?.subject;
  if (named && data && typeof data === 'object') return named(data as Record<string, unknown>);
  const actor = metadata?.actorId;
  if (typeof actor === 'string' && /^\d+$/.test(actor) && metadata?.actorType !== 'embed') return userSubject(actor);
  return ANONYMOUS_SUBJECT;
}
