/**
 * MongoDB's query and update language for documents held in memory, by mingo: the one place the
 * embedded read store gets matching, update operators and sort order from. It admits exactly the
 * operators the port lists (others throw, as they would reach no other adapter), refuses the keys
 * MongoDB refuses, and never changes a document it is given.
 */
import { Context } from 'mingo';
import { Query } from 'mingo/query';
import * as queryOperators from 'mingo/operators/query';
import * as updateOperators from 'mingo/operators/update';
import { cloneDeep, compare, resolve } from 'mingo/util';
import type { Doc, Filter, Sort, Update } from './port.js';

const FIELD_OPERATORS = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$regex'] as const;
const LOGICAL_OPERATORS = ['$and', '$or'] as const;
const UPDATE_OPERATORS = ['$set', '$unset', '$inc', '$push', '$pull', '$addToSet', '$pop', '$min', '$max'] as const;

/**
 * Built once with only the operators the port admits: mingo's default context carries every operator
 * of its aggregation language, and copying it into each query cost more than matching.
 */
const QUERY_OPTIONS = {
  context: Context.init().addQueryOps(Object.fromEntries([...FIELD_OPERATORS, ...LOGICAL_OPERATORS].map((op) => [op, queryOperators[op]]))),
  scriptEnabled: false,
};

type UpdateOperator = (typeof UPDATE_OPERATORS)[number];
const updaters = Object.fromEntries(UPDATE_OPERATORS.map((op) => [op, updateOperators[op]])) as Record<UpdateOperator, (expr: object) => (doc: object) => string[]>;
const isUpdateOperator = (op: string): op is UpdateOperator => Object.hasOwn(updaters, op);

/** A predicate for a filter; throws on an operator the port does not admit. */
export function matcher(filter: Filter): (doc: Doc) => boolean {
  checkFilter(filter);
  const query = new Query(filter, QUERY_OPTIONS);
  return (doc) => query.test(doc);
}

function checkFilter(filter: Filter): void {
  for (const [key, cond] of Object.entries(filter)) {
    if ((LOGICAL_OPERATORS as readonly string[]).includes(key)) {
      if (!Array.isArray(cond)) throw new Error(`${key} needs an array`);
      for (const f of cond) checkFilter(f as Filter);
    } else if (key.startsWith('$')) {
      throw new Error(`Unsupported filter operator ${key}`);
    } else if (isOperatorObject(cond)) {
      for (const [op, value] of Object.entries(cond)) {
        if (op === '$options') {
          if (!('$regex' in cond)) throw new Error('$options needs $regex');
        } else if (!(FIELD_OPERATORS as readonly string[]).includes(op)) {
          throw new Error(`Unsupported filter operator ${op}`);
        } else if ((op === '$in' || op === '$nin') && !Array.isArray(value)) {
          throw new Error('$in/$nin need an array');
        }
      }
    }
  }
}

export function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof RegExp || value instanceof Date) {
    return false;
  }
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => k.startsWith('$'));
}

/** What an upsert starts from, as MongoDB does: the filter's plain equality fields (the update then applies). */
export function upsertSeed(filter: Filter): Doc {
  const seed: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(filter)) {
    if (k.startsWith('$') || v instanceof RegExp || v === null) continue;
    if (!isOperatorObject(v)) seed[k] = cloneDeep(v);
    else if (Object.keys(v).length === 1 && '$eq' in v) seed[k] = cloneDeep(v.$eq);
  }
  return seed as Doc;
}

/**
 * The document after `update`, as a new object sharing nothing with the one given or the update (a
 * stored document is frozen and replaced, never changed in place). Operators apply in the update's order.
 */
export function applyUpdate<T extends Doc>(doc: T, update: Update): T {
  const next = cloneDeep(doc) as T;
  for (const [op, expr] of Object.entries(update)) {
    if (!isUpdateOperator(op)) throw new Error(`Unsupported update operator ${op}`);
    if (expr === null || typeof expr !== 'object') throw new Error(`${op} needs an object`);
    if (op === '$inc') checkIncrements(next, expr);
    updaters[op](cloneDeep(expr))(next);
  }
  return next;
}

/** MongoDB refuses to `$inc` a field holding anything but a number; mingo would leave it as it is. */
function checkIncrements(doc: Doc, increments: Record<string, unknown>): void {
  for (const [path, by] of Object.entries(increments)) {
    if (typeof by !== 'number') throw new Error(`$inc needs a number for ${path}`);
    const current = resolve(doc, path);
    if (current !== undefined && current !== null && typeof current !== 'number') throw new Error(`Cannot $inc the non-numeric field ${path}`);
  }
}

/** A deep copy (mingo's), for documents handed in by callers who may change theirs afterwards. */
export const copyOf = <T>(value: T): T => cloneDeep(value);

/** Throws on keys MongoDB refuses in a stored document: starting with `$`, or holding a dot. */
export function checkKeys(value: unknown): void {
  if (Array.isArray(value)) {
    for (const v of value) checkKeys(v);
    return;
  }
  if (value === null || typeof value !== 'object' || value instanceof Date || value instanceof RegExp) return;
  for (const [key, v] of Object.entries(value)) {
    if (key.startsWith('$') || key.includes('.')) throw new Error(`Field names cannot begin with $ or contain a dot: ${key}`);
    checkKeys(v);
  }
}

/** A comparator for a MongoDB sort document, in MongoDB's order of values (mingo's compare). */
export const comparator = (sort: Sort) => {
  const fields = Object.entries(sort);
  return (a: Doc, b: Doc) => {
    for (const [field, direction] of fields) {
      const c = compare(resolve(a, field), resolve(b, field));
      if (c !== 0) return c * direction;
    }
    return 0;
  };
};
