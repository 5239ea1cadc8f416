/**
 * `as_of` (REST) and `asOf` (GraphQL): a read answered as it would have been at a past moment.
 * Admins only. The moment is an ISO 8601 instant or `position:<n>`, a global position of the log.
 */
import type { Actor } from '../domain/shared/actor.js';
import { type FieldErrors, forbidden, invalid } from '../domain/shared/errors.js';
import type { ReadStore } from '../infra/readstore/port.js';
import type { AsOf, PastRead } from '../projections/time-travel/time-travel.js';
import type { TransportDeps } from './deps.js';

/** A date and a time, with a zone (Z or an offset): an instant, not a local time nor a bare date. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const POSITION = /^position:(\d{1,15})$/;

const MESSAGE = 'Enter an ISO 8601 instant with a time zone (2024-05-01T12:00:00Z) or position:<n>.';

/** The moment `raw` names; a 400 naming `field` for anything else. */
export function parseAsOf(raw: unknown, field = 'as_of'): AsOf {
  const fail = () => invalid('Validation failed.', { [field]: [MESSAGE] } as FieldErrors);
  if (typeof raw !== 'string') throw fail();
  const position = POSITION.exec(raw.trim());
  if (position) return { position: Number(position[1]) };
  if (!INSTANT.test(raw.trim())) throw fail();
  const instant = new Date(raw.trim());
  if (Number.isNaN(instant.getTime())) throw fail();
  return { instant };
}

/** Only admins read the past: it holds what others were since refused (removed members, deleted chats). */
export function assertMayTimeTravel(actor: Actor | null): void {
  if (actor?.role !== 'admin') throw forbidden();
}

/**
 * The read store a read's queries run on: the live one without a moment, else the state at that
 * moment rebuilt for this read. The caller's right is checked before the moment is parsed.
 */
export async function readStoreAsOf(
  deps: TransportDeps,
  actor: Actor | null,
  raw: unknown,
  read: PastRead,
  field = 'as_of',
): Promise<ReadStore> {
  if (raw === undefined || raw === null) return deps.db;
  assertMayTimeTravel(actor);
  return deps.timeTravel.readStore(read, parseAsOf(raw, field));
}
