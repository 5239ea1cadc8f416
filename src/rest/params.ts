import type { Request } from 'express';
import { notFound } from '../domain/shared/errors.js';

/** An integer id from the path; anything else names no resource. */
export function idParam(req: Request, name = 'id'): number {
  const raw = req.params[name];
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) throw notFound();
  return Number(raw);
}
