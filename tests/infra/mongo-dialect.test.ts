import { Query } from 'mingo';
import { compare } from 'mingo/util';
import type { Doc } from '../../src/infra/readstore/port.js';
import { applyUpdate, comparator, matcher, upsertSeed } from '../../src/infra/readstore/mongo-dialect.js';

describe('the embedded read store’s MongoDB dialect', () => {
  describe('matching', () => {
    it('matches as MongoDB does where a plain reading would not', () => {
      expect(matcher({ tags: { $ne: 'a' } })({ _id: '1', tags: ['a', 'b'] })).toBe(false);
      expect(matcher({ tags: { $nin: ['a'] } })({ _id: '1', tags: ['a'] })).toBe(false);
      expect(matcher({ gone: null })({ _id: '1' })).toBe(true);
      expect(matcher({ gone: { $in: [null, 3] } })({ _id: '1' })).toBe(true);
      expect(matcher({ list: { $exists: true } })({ _id: '1', list: [] })).toBe(true);
      expect(matcher({ name: { $regex: 'AN', $options: 'i' } })({ _id: '1', name: 'ann' })).toBe(true);
      expect(matcher({ _pos: { $lt: 5 } })({ _id: '1', _pos: '3' })).toBe(false); // like with like only
    });

    it('answers plain equality filters exactly as the compiled query does', () => {
      const docs: Doc[] = [
        { _id: '1', n: 1, kind: 'a', on: true, tags: ['x', 'y'], nested: { n: 1 } },
        { _id: '2', n: '1', kind: 'b', on: false, tags: [], list: [[1]] },
        { _id: '3', n: 1.0, tags: 'x', 'a b': 2 },
        { _id: '4', n: null },
      ];
      const filters = [
        {},
        { _id: '1' },
        { n: 1 },
        { n: '1' },
        { on: true },
        { on: false },
        { tags: 'x' },
        { kind: 'a', n: 1 },
        { 'a b': 2 },
        { list: 1 },
        { nested: 1 },
        { $and: [{}, {}] },
        { $and: [{}, { kind: 'a' }] },
        { $and: [{ tags: 'x' }, { n: 1 }] },
        { $and: [{ tags: 'x' }, { tags: 'y' }] },
        { $and: [{ n: 1 }, { $and: [{ on: true }] }] },
        { kind: 'b', $and: [{ on: false }] },
        { $and: [{ n: 1 }, { n: '1' }] },
      ];
      for (const filter of filters) {
        const compiled = new Query(filter, {});
        for (const doc of docs)
          expect([filter, doc._id, matcher(filter)(doc)]).toEqual([filter, doc._id, compiled.test(doc)]);
      }
    });

    it('refuses operators the port does not list', () => {
      expect(() => matcher({ $where: 'true' })).toThrow(/Unsupported filter operator \$where/);
      expect(() => matcher({ n: { $mod: [2, 0] } })).toThrow(/Unsupported filter operator \$mod/);
      expect(() => matcher({ $or: { a: 1 } })).toThrow(/\$or needs an array/);
      expect(() => matcher({ n: { $in: 3 } })).toThrow(/need an array/);
      expect(() => matcher({ n: { $options: 'i' } })).toThrow(/\$options needs \$regex/);
    });
  });

  describe('updating', () => {
    it('answers a new document and leaves the one given, and the update, as they were', () => {
      const doc: Doc = Object.freeze({ _id: 'u', n: 1, tags: Object.freeze(['a']) });
      const value = { deep: { k: 1 } };
      const next = applyUpdate(doc, { $inc: { n: 2 }, $push: { tags: 'b' }, $set: { value } });
      expect(next).toEqual({ _id: 'u', n: 3, tags: ['a', 'b'], value: { deep: { k: 1 } } });
      expect(doc).toEqual({ _id: 'u', n: 1, tags: ['a'] });
      next.value.deep.k = 2;
      expect(value.deep.k).toBe(1);
    });

    it('sets plain top-level fields as the updaters do (a no-op $unset takes their path)', () => {
      const doc: Doc = Object.freeze({ _id: 'c', position: 3, name: 'n', nested: Object.freeze({ a: 1 }) });
      for (const $set of [{ position: 4 }, { fresh: 'x', position: 5 }, { none: null, on: true, name: 'm' }]) {
        const direct = applyUpdate(doc, { $set });
        expect(JSON.stringify(direct)).toBe(JSON.stringify(applyUpdate(doc, { $set, $unset: { missing: '' } })));
        expect(Object.isFrozen(direct)).toBe(false);
      }
    });

    it('treats $pull of a missing field as a no-op and refuses $inc of a non-number, as MongoDB does', () => {
      expect(applyUpdate({ _id: 'u' }, { $pull: { l: 1 } })).toEqual({ _id: 'u' });
      expect(() => applyUpdate({ _id: 'u', n: 'x' }, { $inc: { n: 1 } })).toThrow(/non-numeric/);
      expect(() => applyUpdate({ _id: 'u' }, { $rename: { a: 'b' } })).toThrow(/Unsupported update operator \$rename/);
    });

    it('seeds an upsert from the filter’s plain equality fields', () => {
      expect(upsertSeed({ _id: 'd', kind: 'w', n: { $eq: 2 }, pos: { $lt: 5 }, name: /x/ })).toEqual({
        _id: 'd',
        kind: 'w',
        n: 2,
      });
    });
  });

  it('orders values of one field as mingo’s compare does, whatever their types', () => {
    const values = [
      undefined,
      null,
      0,
      -1,
      2.5,
      NaN,
      '',
      'a',
      'B',
      'é',
      '\u{1F600}',
      '\uFFFD',
      true,
      false,
      [1],
      { a: 1 },
      new Date(0),
    ];
    const docs = values.map((v, i) => ({ _id: String(i), v }));
    const byField = comparator({ v: 1 });
    for (const a of docs)
      for (const b of docs)
        expect([a.v, b.v, Math.sign(byField(a, b))]).toEqual([a.v, b.v, Math.sign(compare(a.v, b.v))]);
  });

  it('sorts by several fields, numbers before strings', () => {
    const docs = [
      { _id: '1', g: 'b', n: 1 },
      { _id: '2', g: 'a', n: 'x' },
      { _id: '3', g: 'a', n: 2 },
    ];
    expect(docs.sort(comparator({ g: 1, n: 1 })).map((d) => d._id)).toEqual(['3', '2', '1']);
  });
});
