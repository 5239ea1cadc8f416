import type { ActorType } from './actor.js';

/** What every event records besides its data: who, on whose behalf, from where, in which schema. */
export interface EventMetadata {
  actorId: string | null;
  actorType: ActorType;
  correlationId: string;
  causationId: string | null;
  ip: string | null;
  userAgent: string | null;
  schemaVersion: number;
}
