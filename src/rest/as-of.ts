import type { Request } from 'express';
import type { ReadStore } from '../infra/readstore/port.js';
import type { PastRead } from '../projections/time-travel/time-travel.js';
import { readStoreAsOf } from '../transport/as-of.js';
import type { RestDeps } from './deps.js';

/** The read store for a GET: the live one, or the state at `?as_of=` (admins only) rebuilt for `read`. */
export const readsOf = (req: Request, deps: RestDeps, read: PastRead): Promise<ReadStore> =>
  readStoreAsOf(deps, req.actor ?? null, req.query.as_of, read);
