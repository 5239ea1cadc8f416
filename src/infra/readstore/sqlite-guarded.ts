/**
 * The projections' guarded update (`applyGuarded`: `{_id, _pos: {$lt: n}}` with `$set`/`$inc` of
 * top-level fields to plain values), the one write a replay makes per event, done directly on the
 * in-memory documents instead of through the general matcher and modifier, with the same result.
 */
import type { Doc, Filter, Update } from './port.js';

export type GuardedWrite = { previous: Doc | null; next: Doc };

const PLAIN_FIELD = /^[^$.][^.]*$/;
/** Field names already checked against PLAIN_FIELD: the same few come back for every event of a replay. */
const plainFields = new Map<string, boolean>();
const isPlainField = (field: string) => {
  let plain = plainFields.get(field);
  if (plain === undefined) {
    plain = field !== '_id' && PLAIN_FIELD.test(field);
    if (plainFields.size < 10_000) plainFields.set(field, plain);
  }
  return plain;
};
const isPrimitive = (v: unknown) =>
  v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/**
 * `updateOne(filter, update, {upsert})` when it has the guarded shape. Answers undefined for anything
 * else (the general path decides), null when the guard does not match, else the document before (null:
 * an upsert creates it) and after.
 */
export function guardedUpdate(
  docs: Map<string, Doc>,
  filter: Filter,
  update: Update,
  upsert: boolean,
): GuardedWrite | null | undefined {
  const id = filter._id;
  const guard = filter._pos;
  if (typeof id !== 'string' || guard === null || typeof guard !== 'object' || typeof guard.$lt !== 'number')
    return undefined;
  let keys = 0;
  for (const _ in filter) keys++;
  if (keys !== 2) return undefined;
  keys = 0;
  for (const _ in guard) keys++;
  if (keys !== 1) return undefined;
  return guardedWrite(docs, id, guard.$lt, update, upsert, undefined);
}

/**
 * The guarded update of document `id` below position `lt`, with `update` checked to be the simple
 * kind; `position`, when given, is also set as `_pos` (as applyGuarded adds it to `$set`).
 */
export function guardedWrite(
  docs: Map<string, Doc>,
  id: string,
  lt: number,
  update: Update,
  upsert: boolean,
  position: number | undefined,
): GuardedWrite | null | undefined {
  const { $set, $inc } = update;
  let keys = 0;
  for (const _ in update) keys++;
  if (keys !== ($set === undefined ? 0 : 1) + ($inc === undefined ? 0 : 1)) return undefined;
  if ($set !== undefined) {
    if ($set === null || typeof $set !== 'object') return undefined;
    for (const field in $set) if (!isPlainField(field) || !isPrimitive($set[field])) return undefined;
  }
  if ($inc !== undefined) {
    if ($inc === null || typeof $inc !== 'object') return undefined;
    for (const field in $inc) {
      if (
        !isPlainField(field) ||
        typeof $inc[field] !== 'number' ||
        ($set && field in $set) ||
        (position !== undefined && field === '_pos')
      )
        return undefined;
    }
  }
  const previous = docs.get(id);
  if (!previous && upsert) return { previous: null, next: Object.freeze(upserted(id, update, position)) };
  // MongoDB compares numbers with numbers only: a document without a numeric _pos never matches $lt.
  if (!previous || typeof previous._pos !== 'number' || !(previous._pos < lt)) return null;
  const next: Doc = { ...previous, ...$set };
  if (position !== undefined) next._pos = position; // the guard needs it held already: its place stays
  if ($inc) {
    for (const field in $inc) {
      const by = $inc[field] as number;
      const current = previous[field];
      if (current === undefined) next[field] = by;
      else if (typeof current === 'number') next[field] = current + by;
      else return undefined; // refused: let the general path say so
    }
  }
  return { previous, next: Object.freeze(next) };
}

/**
 * What the general path's upsert makes of `{_id: id}` and a checked `$set`/`$inc` of plain fields: the
 * seed, then each operator in the update's order (a missing field is `$inc`ed from 0). Each replayed
 * aggregate's first event upserts. `position` goes where applyGuarded puts `_pos`: last in `$set`,
 * which it appends when the update has none.
 */
function upserted(id: string, update: Update, position: number | undefined): Doc {
  const doc: Doc = { _id: id };
  for (const modifier in update) {
    const fields = update[modifier] as Record<string, unknown>;
    for (const field in fields) doc[field] = fields[field];
    if (modifier === '$set' && position !== undefined) doc._pos = position;
  }
  if (position !== undefined) doc._pos = position;
  return doc;
}
