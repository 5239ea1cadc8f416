import type { RequestHandler } from 'express';
import { invalid } from '../domain/shared/errors.js';

/** Deeper than any body the API takes; far below where recursive code (validation, GraphQL variable coercion) runs out of stack. */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests arrays or objects deeper than `max`. Walked with its own stack, so any depth is safe to look at. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length) {
    const [node, depth] = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') pending.push([child, depth + 1]);
    }
  }
  return false;
}

/** A parsed JSON body nested past MAX_JSON_DEPTH is a 400 before any handler walks it. */
export const refuseDeepJson: RequestHandler = (req, _res, next) => {
  if (req.body !== null && typeof req.body === 'object' && nestedDeeperThan(req.body, MAX_JSON_DEPTH)) {
    next(invalid(`JSON body is nested too deeply (at most ${MAX_JSON_DEPTH} levels).`, {}));
    return;
  }
  next();
};
