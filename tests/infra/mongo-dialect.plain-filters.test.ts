/**
 * Plain equality filters, alone or scoped by `$and` (what list queries send on every request), are
 * answered without compiling a mingo query; anything else is compiled.
 */
import type { Filter } from '../../src/infra/readstore/port.js';

const compiled: Filter[] = [];
jest.mock('mingo/query', () => {
  const actual = jest.requireActual('mingo/query');
  class CountedQuery extends actual.Query {
    constructor(filter: Filter, options: object) {
      super(filter, options);
      compiled.push(filter);
    }
  }
  return { ...actual, Query: CountedQuery };
});

import { matcher } from '../../src/infra/readstore/mongo-dialect.js';

describe('which filters the embedded read store compiles', () => {
  beforeEach(() => (compiled.length = 0));

  it('given a list query scoped by $and of plain equalities, when it is matched, then no query is compiled', () => {
    const scoped = matcher({ $and: [{ members: 7 }, { kind: 'x' }] });
    expect(scoped({ _id: '1', members: [3, 7], kind: 'x' })).toBe(true);
    expect(scoped({ _id: '2', members: [3], kind: 'x' })).toBe(false);
    expect(matcher({ $and: [{}, {}] })({ _id: '3' })).toBe(true);
    expect(compiled).toEqual([]);
  });

  it('given a checkpoint filter with $exists on a top-level field, then it is answered as mingo answers it, uncompiled', () => {
    const docs = [
      { _id: 'projections', position: 3 },
      { _id: 'projections', position: 3, fenced: 'lease-1' },
      { _id: 'projections', fenced: null },
      { _id: 'projections', fenced: undefined },
      { _id: 'other' },
    ];
    const filters: Filter[] = [
      { _id: 'projections', fenced: { $exists: false } },
      { _id: 'projections', fenced: { $exists: true } },
      { $and: [{ position: 3 }, { fenced: { $exists: false } }] },
    ];
    const plain = filters.map((f) => docs.map(matcher(f)));
    expect(compiled).toEqual([]);
    const { Query } = jest.requireActual('mingo'); // its main module: every operator loaded
    expect(plain).toEqual(filters.map((f) => docs.map((d) => new Query(f).test(d))));
  });

  it('given operators or an empty $and, then the filter is compiled', () => {
    const filters: Filter[] = [
      { $and: [{ n: { $gt: 1 } }, { kind: 'x' }] },
      { $or: [{ kind: 'x' }] },
      { $and: [] },
      { a: { $exists: 1 } },
      { a: { $exists: true, $ne: 2 } },
    ]; // the last left to mingo to answer
    for (const filter of filters) matcher(filter);
    expect(compiled).toEqual(expect.arrayContaining(filters));
  });
});
