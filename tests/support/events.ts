import { randomUUID } from 'node:crypto';
import type { EventToAppend } from '../../src/infra/eventstore/port.js';

/** An event to append as the system would: a fresh id and correlation id, no user, no client. */
export const systemEvent = (type: string, data: Record<string, unknown> = {}): EventToAppend => ({
  id: randomUUID(),
  type,
  data,
  metadata: {
    actorId: null,
    actorType: 'system',
    correlationId: randomUUID(),
    causationId: null,
    ip: null,
    userAgent: null,
    schemaVersion: 1,
  },
});
