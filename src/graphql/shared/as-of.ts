import { DateTimeISOResolver } from 'graphql-scalars';
import type { ReadStore } from '../../infra/readstore/port.js';
import type { PastRead } from '../../projections/time-travel/time-travel.js';
import { assertMayTimeTravel } from '../../transport/as-of.js';
import type { GraphQLContext } from '../context.js';
import { createLoaders, type Loaders } from './loaders.js';

/** `asOf`: an ISO 8601 date-time with a zone; the scalar refuses anything else before a resolver runs. */
export const AsOf = DateTimeISOResolver;

export const AS_OF_DESCRIPTION =
  'Answer as this query answered at that instant: the state after the last event at or before it (admins only).';

/** The read store a query's reads run on: the live one, or (with `asOf`, admins only) the past state rebuilt for `read`. */
export async function readsAsOf(
  ctx: GraphQLContext,
  asOf: Date | null | undefined,
  read: PastRead,
): Promise<ReadStore> {
  if (asOf === null || asOf === undefined) return ctx.deps.db;
  assertMayTimeTravel(ctx.actor);
  return ctx.deps.timeTravel.readStore(read, { instant: asOf });
}

/** Loaders over a past state, carried by the objects read from it so that their nested fields read it too. */
export interface FromPast {
  pastLoaders?: Loaders;
}

/** Marks `objects` as read from `db` when it is a past state (not the live store, whose loaders are the context's). */
export function fromStore<T extends FromPast>(ctx: GraphQLContext, db: ReadStore, objects: T[]): T[] {
  if (db === ctx.deps.db) return objects;
  const loaders = createLoaders(db);
  for (const o of objects) o.pastLoaders = loaders;
  return objects;
}

/** The loaders a nested field of `root` reads with. */
export const loadersOf = (ctx: GraphQLContext, root: FromPast): Loaders => root.pastLoaders ?? ctx.loaders;
