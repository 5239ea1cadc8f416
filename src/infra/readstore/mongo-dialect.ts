/**
 * MongoDB's query and update language in nedb's dialect: nedb's matcher and modifier (its `model`
 * module) serve both embedded stores, and these rewrites close the gaps where nedb reads a
 * MongoDB document differently.
 */
import { compareThings, getDotValue } from '@seald-io/nedb/lib/model.js';
import type { Doc, Filter, Sort, Update } from './port.js';

/**
 * MongoDB filter → nedb query. Plain equality fields stay at the top level (nedb uses them for
 * indexes and, on upsert, as the new document); everything nedb reads differently from MongoDB
 * is rewritten into a `$and` clause:
 * - `$ne`/`$nin` on an array field must exclude docs whose array contains the value;
 * - equality with null and `$in` with null also match missing fields;
 * - `$exists: true` must hold for an empty array;
 * - `$eq`, and `$regex` given as a string with `$options`, are not nedb operators.
 */
export function toQuery(filter: Filter, forUpsert = false): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  const and: unknown[] = [];
  for (const [key, cond] of Object.entries(filter)) {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(cond)) throw new Error(`${key} needs an array`);
      and.push({ [key]: cond.map((f: Filter) => toQuery(f)) });
    } else if (key.startsWith('$')) {
      throw new Error(`Unsupported filter operator ${key}`);
    } else {
      const { native, extra } = fieldConditions(key, cond);
      if (native !== undefined) {
        // Operators and regexps must not end up in an upserted document.
        const plain = !isOperatorObject(native) && !(native instanceof RegExp);
        if (plain || !forUpsert) query[key] = native;
        else and.push({ [key]: native });
      }
      and.push(...extra);
    }
  }
  if (and.length > 0) query.$and = and;
  return query;
}

function fieldConditions(key: string, cond: unknown): { native?: unknown; extra: object[] } {
  if (cond === null || cond === undefined) return { extra: [equals(key, null)] };
  if (!isOperatorObject(cond)) return { native: cond, extra: [] };
  const native: Record<string, unknown> = {};
  const extra: object[] = [];
  for (const [op, value] of Object.entries(cond)) {
    switch (op) {
      case '$eq':
        extra.push(equals(key, value));
        break;
      case '$ne':
        extra.push({ $not: equals(key, value) });
        break;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        native[op] = value;
        break;
      case '$in':
        if (inList(value).includes(null)) extra.push(isIn(key, value));
        else native.$in = value;
        break;
      case '$nin':
        extra.push({ $not: isIn(key, value) });
        break;
      case '$exists':
        if (value) extra.push({ $not: { [key]: { $exists: false } } });
        else native.$exists = false;
        break;
      case '$regex':
        native.$regex = value instanceof RegExp ? value : new RegExp(String(value), String(cond.$options ?? ''));
        break;
      case '$options':
        if (!('$regex' in cond)) throw new Error('$options needs $regex');
        break;
      default:
        throw new Error(`Unsupported filter operator ${op}`);
    }
  }
  return { native: Object.keys(native).length > 0 ? native : undefined, extra };
}

function equals(key: string, value: unknown): object {
  if (value === null || value === undefined) return { $or: [{ [key]: null }, { [key]: { $exists: false } }] };
  return { [key]: value };
}

function isIn(key: string, value: unknown): object {
  const list = inList(value);
  const clause = { [key]: { $in: list } };
  return list.includes(null) ? { $or: [clause, { [key]: { $exists: false } }] } : clause;
}

function inList(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error('$in/$nin need an array');
  return value;
}

export function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof RegExp || value instanceof Date) {
    return false;
  }
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => k.startsWith('$'));
}

/** What an upsert starts from, as MongoDB does: the filter's plain equality fields (the update then applies). */
export function upsertSeed(filter: Filter): Record<string, unknown> {
  const seed: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(filter)) {
    if (k.startsWith('$') || v instanceof RegExp || v === null) continue;
    if (!isOperatorObject(v)) seed[k] = v;
    else if (Object.keys(v).length === 1 && '$eq' in v) seed[k] = v.$eq;
  }
  return seed;
}

/**
 * MongoDB treats `$pull` on a missing field as a no-op; nedb throws. An empty `$addToSet`
 * applied first creates the array (left empty, where MongoDB leaves the field absent).
 */
export function toUpdate(update: Update): Update {
  const pull = update.$pull as Record<string, unknown> | undefined;
  if (!pull) return update;
  const addToSet: Record<string, unknown> = { ...(update.$addToSet ?? {}) };
  for (const path of Object.keys(pull)) {
    if (!(path in addToSet)) addToSet[path] = { $each: [] };
  }
  const { $addToSet: _ignored, ...rest } = update;
  return { $addToSet: addToSet, ...rest };
}

/** A comparator for a MongoDB sort document, ordering values as nedb (and MongoDB) do. */
export const comparator = (sort: Sort) => (a: Doc, b: Doc) => {
  for (const [field, direction] of Object.entries(sort)) {
    const c = compareThings(getDotValue(a, field), getDotValue(b, field));
    if (c !== 0) return c * direction;
  }
  return 0;
};
