/**
 * MongoDB's query and update language for documents held in memory, by mingo: the one place the
 * embedded read store gets matching, update operators and sort order from. It admits exactly the
 * operators the port lists (others throw, as they would reach no other adapter), refuses the keys
 * MongoDB refuses, and never changes a document it is given.
 */
import { cloneDeep, compare, resolve } from 'mingo/util';
import type { Doc, Filter, Sort, Update } from './port.js';

const FIELD_OPERATORS = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$regex'] as const;
const LOGICAL_OPERATORS = ['$and', '$or'] as const;
const UPDATE_OPERATORS = ['$set', '$unset', '$inc', '$push', '$pull', '$addToSet', '$pop', '$min', '$max'] as const;

type UpdateOperator = (typeof UPDATE_OPERATORS)[number];
type Updater = (expr: object) => (doc: object) => string[];
const isUpdateOperator = (op: string): op is UpdateOperator => (UPDATE_OPERATORS as readonly string[]).includes(op);

let compiler: ((filter: Filter) => (doc: Doc) => boolean) | undefined;
let updaters: Record<UpdateOperator, Updater> | undefined;

/*
 * mingo's matcher and updaters are loaded on first use, each on its own: its main module (which the
 * matcher needs for a Context) brings its whole aggregation language, ~0.2-0.4 s of CPU, which a replay,
 * answered by the direct paths (plain equality here, the guarded update in sqlite-guarded.ts), never needs.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
function compile(filter: Filter): (doc: Doc) => boolean {
  if (!compiler) {
    const { Context } = require('mingo') as typeof import('mingo');
    const { Query } = require('mingo/query') as typeof import('mingo/query');
    const queryOperators = require('mingo/operators/query') as typeof import('mingo/operators/query');
    // One context with only the operators the port admits: mingo's default one carries every operator of its
    // aggregation language, and copying it into each query cost more than matching (~25 µs a query).
    const options = {
      context: Context.init().addQueryOps(
        Object.fromEntries([...FIELD_OPERATORS, ...LOGICAL_OPERATORS].map((op) => [op, queryOperators[op]])),
      ),
      scriptEnabled: false,
    };
    compiler = (f) => {
      const query = new Query(f, options);
      return (doc) => query.test(doc);
    };
  }
  return compiler(filter);
}

/** The update operators, called directly: mingo's `update` builds a context per call (~250 µs each in a probe). */
function updater(op: UpdateOperator): Updater {
  updaters ??= require('mingo/operators/update') as Record<UpdateOperator, Updater>;
  return updaters[op];
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** A predicate for a filter; throws on an operator the port does not admit. */
export function matcher(filter: Filter): (doc: Doc) => boolean {
  const plain = plainEquality(filter);
  if (plain) return plain;
  checkFilter(filter);
  return compile(filter);
}

const PLAIN_FIELD = /^[^$.]+$/;

/** What a plain filter asks of one top-level field: to hold a value, or (`$exists`) to be present or absent. */
type PlainCondition = [field: string, wanted: unknown] | [field: string, present: boolean, exists: true];

/**
 * The commonest filters, `{_id: '12'}` or `{workspace: 3, kind: 'x'}` (top-level fields equal to a string,
 * a number or a boolean, or `{$exists: true|false}`), and `$and` lists of them (a query scoped to what the
 * actor may see), without compiling a query: ~20 µs a compile, paid on every request's lookups and on every
 * projection batch's checkpoint (`{_id, fenced: {$exists: false}}`).
 * MongoDB's rule for each: the field holds the value, or is an array holding it; `$exists` as mingo
 * answers it for a top-level field: present unless undefined.
 */
function plainEquality(filter: Filter): ((doc: Doc) => boolean) | null {
  const conditions = plainConditions(filter, []);
  if (!conditions) return null;
  return (doc) => {
    for (const [field, wanted, exists] of conditions) {
      if (exists) {
        if ((Object.hasOwn(doc, field) && doc[field] !== undefined) !== wanted) return false;
        continue;
      }
      const held = doc[field];
      if (held !== wanted && !(Array.isArray(held) && held.includes(wanted))) return false;
    }
    return true;
  };
}

/** The conditions a filter of plain ones (nested in non-empty `$and` lists) requires, else null. */
function plainConditions(filter: Filter, into: PlainCondition[]): PlainCondition[] | null {
  for (const field of Object.keys(filter)) {
    const value = filter[field];
    if (field === '$and') {
      if (!Array.isArray(value) || value.length === 0) return null;
      for (const part of value) if (!isPlainObject(part) || !plainConditions(part as Filter, into)) return null;
      continue;
    }
    if (!PLAIN_FIELD.test(field) || field === '__proto__') return null;
    const primitive =
      typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && !Number.isNaN(value));
    if (primitive) into.push([field, value]);
    else if (isExistsOnly(value)) into.push([field, value.$exists, true]);
    else return null;
  }
  return into;
}

/** `{$exists: true}` or `{$exists: false}`, nothing else. */
function isExistsOnly(value: unknown): value is { $exists: boolean } {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value as object);
  return keys.length === 1 && keys[0] === '$exists' && typeof (value as { $exists: unknown }).$exists === 'boolean';
}

const isPlainObject = (value: unknown) =>
  value !== null &&
  typeof value === 'object' &&
  (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);

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
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    value instanceof RegExp ||
    value instanceof Date
  ) {
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
  const set = plainSet(update);
  if (set) return { ...cloneDeep(doc), ...set };
  const next = cloneDeep(doc) as T;
  for (const [op, expr] of Object.entries(update)) {
    if (!isUpdateOperator(op)) throw new Error(`Unsupported update operator ${op}`);
    if (expr === null || typeof expr !== 'object') throw new Error(`${op} needs an object`);
    if (op === '$inc') checkIncrements(next, expr);
    updater(op)(cloneDeep(expr))(next);
  }
  return next;
}

/**
 * The `$set` of an update that only sets top-level fields (not `_id`) to strings, numbers, booleans or
 * null, else null. Such an update (a checkpoint's, say) needs no updater: the fields replace theirs in
 * place or follow the document's, as MongoDB places them.
 */
function plainSet(update: Update): Record<string, unknown> | null {
  const keys = Object.keys(update);
  if (keys.length !== 1 || keys[0] !== '$set') return null;
  const set = update.$set as Record<string, unknown> | null;
  if (set === null || typeof set !== 'object' || Array.isArray(set)) return null;
  for (const [field, value] of Object.entries(set)) {
    if (field === '_id' || !PLAIN_FIELD.test(field)) return null;
    if (value !== null && typeof value !== 'string' && typeof value !== 'boolean' && typeof value !== 'number')
      return null;
  }
  return set;
}

/** MongoDB refuses to `$inc` a field holding anything but a number; mingo would leave it as it is. */
function checkIncrements(doc: Doc, increments: Record<string, unknown>): void {
  for (const [path, by] of Object.entries(increments)) {
    if (typeof by !== 'number') throw new Error(`$inc needs a number for ${path}`);
    const current = resolve(doc, path);
    if (current !== undefined && current !== null && typeof current !== 'number')
      throw new Error(`Cannot $inc the non-numeric field ${path}`);
  }
}

/** A deep copy (mingo's), for documents handed in by callers who may change theirs afterwards. */
export const copyOf = <T>(value: T): T => cloneDeep(value);

/** A comparator for a MongoDB sort document, in MongoDB's order of values (mingo's compare). */
export const comparator = (sort: Sort) => {
  // A top-level field is the document's own property (mingo's resolve; it refuses `__proto__`).
  const fields = Object.entries(sort).map(
    ([field, direction]) => [field, direction, PLAIN_FIELD.test(field) && field !== '__proto__'] as const,
  );
  const own = (doc: Doc, field: string) => (Object.hasOwn(doc, field) ? doc[field] : undefined);
  return (a: Doc, b: Doc) => {
    for (const [field, direction, plain] of fields) {
      const c = plain ? compareValues(own(a, field), own(b, field)) : compare(resolve(a, field), resolve(b, field));
      if (c !== 0) return c * direction;
    }
    return 0;
  };
};

/** Two numbers, two strings or two booleans compare as mingo compares them (by `<`), without its type dispatch. */
function compareValues(x: unknown, y: unknown): number {
  const type = typeof x;
  if (type === typeof y && (type === 'number' || type === 'string' || type === 'boolean')) {
    return (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0;
  }
  return compare(x, y);
}
