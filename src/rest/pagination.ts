import type { Request, Response } from 'express';
import { invalid } from '../domain/shared/errors.js';

export interface Page {
  limit?: number;
  offset: number;
}

const MAX_LIMIT = 1000;

function nonNegativeInt(req: Request, name: string): number | undefined {
  const raw = req.query[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n > Number.MAX_SAFE_INTEGER) {
    throw invalid('Validation failed.', { [name]: ['A valid non-negative integer is required.'] });
  }
  return n;
}

/** `limit` and `offset` from the query string; without `limit` the list is answered whole. */
export function pageOf(req: Request): Page {
  const limit = nonNegativeInt(req, 'limit');
  const offset = nonNegativeInt(req, 'offset') ?? 0;
  if (limit !== undefined && (limit < 1 || limit > MAX_LIMIT)) {
    throw invalid('Validation failed.', { limit: [`Ensure this value is between 1 and ${MAX_LIMIT}.`] });
  }
  return { limit, offset };
}

function pageUrl(req: Request, limit: number, offset: number): string {
  // Never from the Host header alone: see public-base-url.ts.
  const base = req.publicBaseUrl ?? `${req.protocol}://localhost:${req.socket.localPort}`;
  const url = new URL(base + req.originalUrl);
  url.searchParams.set('limit', String(limit));
  if (offset > 0) url.searchParams.set('offset', String(offset));
  else url.searchParams.delete('offset');
  return url.toString();
}

/** A plain array without `limit`; DRF's `{count, next, previous, results}` envelope with it. */
export function sendPage<T>(req: Request, res: Response, page: Page, results: T[], count: number): void {
  if (page.limit === undefined) {
    res.json(results);
    return;
  }
  const { limit, offset } = page;
  res.json({
    count,
    next: offset + limit < count ? pageUrl(req, limit, offset + limit) : null,
    previous: offset > 0 ? pageUrl(req, limit, Math.max(0, offset - limit)) : null,
    results,
  });
}

/** skip/limit for the read store. */
export const findWindow = (page: Page) => ({
  skip: page.offset,
  ...(page.limit !== undefined ? { limit: page.limit } : {}),
});
