import type { Request } from 'express';
import { DomainError, type FieldErrors, invalid } from '../domain/shared/errors.js';
import type { Filter } from '../infra/readstore/port.js';
import { containsAny, containsPattern } from '../projections/shared/search.js';

export type FieldType = 'string' | 'number' | 'boolean' | 'date';
const LOOKUPS = new Set(['exact', 'gte', 'lte', 'gt', 'lt', 'in', 'icontains']);

function convert(type: FieldType, raw: string): unknown {
  switch (type) {
    case 'string':
      return raw;
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new Error('Enter a number.');
      return n;
    }
    case 'boolean':
      if (['true', '1', 'True'].includes(raw)) return true;
      if (['false', '0', 'False'].includes(raw)) return false;
      throw new Error('Enter true or false.');
    case 'date': {
      const d = new Date(raw);
      if (Number.isNaN(d.getTime())) throw new Error('Enter a valid date/time.');
      return d.toISOString(); // read models keep ISO strings, which sort like the instants they name
    }
  }
}

/** Own keys only: a parameter named `constructor` or `toString` must not find Object.prototype's member. */
const own = <T>(record: Record<string, T>, key: string): T | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;

/**
 * Django-style filters from the query string: `field=value`, `field__gte`, `__lte`, `__gt`, `__lt`,
 * `__in` (comma list) and `__icontains`, for the fields a list allows. Other parameters are ignored.
 */
export function lookupFilter(
  req: Request,
  fields: Record<string, FieldType>,
  rename: Record<string, string> = {},
): Filter {
  const filter: Filter = {};
  const errors: FieldErrors = {};
  for (const [param, rawValue] of Object.entries(req.query)) {
    const [field, lookup = 'exact', ...rest] = param.split('__');
    const type = own(fields, field);
    if (!type || rest.length || !LOOKUPS.has(lookup) || typeof rawValue !== 'string') continue;
    const target = own(rename, field) ?? field;
    try {
      const clause = (filter[target] ??= {}) as Record<string, unknown>;
      if (lookup === 'exact') clause.$eq = convert(type, rawValue);
      else if (lookup === 'in') clause.$in = rawValue.split(',').map((v) => convert(type, v));
      else if (lookup === 'icontains') clause.$regex = containsPattern(rawValue, param);
      else clause[`$${lookup}`] = convert(type, rawValue);
    } catch (err) {
      const messages =
        err instanceof DomainError ? Object.values(err.fieldErrors ?? {}).flat() : [(err as Error).message];
      (errors[param] ??= []).push(...messages);
    }
  }
  if (Object.keys(errors).length) throw invalid('Validation failed.', errors);
  return filter;
}

const SEARCH_PARAMS = ['search', 'q', 'query'] as const;

/** The first non-empty of `search`, `q` or `query`, with the name it came under; null without one. */
function searchTerm(req: Request): { param: string; term: string } | null {
  for (const param of SEARCH_PARAMS) {
    const value = req.query[param];
    if (typeof value === 'string' && value !== '') return { param, term: value };
  }
  return null;
}

/** `search`, `q` or `query`: a case-insensitive match in any of the given fields. */
export function textSearch(req: Request, fields: string[]): Filter {
  const found = searchTerm(req);
  return found ? containsAny(found.term, found.param, fields) : {};
}
