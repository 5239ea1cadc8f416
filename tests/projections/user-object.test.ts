/** User-supplied objects keep any key through a read model: stored escaped, served as given. */
import { assertStorableFields } from '../../src/infra/readstore/storable-fields.js';
import { servedUserObject, storedUserObject } from '../../src/projections/shared/user-object.js';

const GIVEN: unknown[] = [
  { $where: '1' },
  { 'a.b': 1 },
  { x: { $gt: 1 } },
  { list: [{ $x: 1 }] },
  [{ $x: 1 }],
  { '%24where': 'already escaped-looking', '100%': true, 'nul\0': 'x', $$date: 2 },
  { plain: 'value with $ and . kept', nested: { deeper: [1, null, { 'k.k': ['$v'] }] } },
  JSON.parse('{"__proto__": {"polluted": true}}'),
];

describe('user-supplied objects in read models', () => {
  it.each(GIVEN)('given %j, stored then served, it comes back as it was', (value) => {
    expect(servedUserObject(storedUserObject(value))).toStrictEqual(value);
  });

  it.each(GIVEN)('given %j, the stored form holds no field name MongoDB refuses', (value) => {
    expect(() => assertStorableFields({ _id: '1', metadata: storedUserObject(value) })).not.toThrow();
  });

  it('leaves keys without $, ., % or NUL as they are', () => {
    expect(storedUserObject({ title: 'x', author_name: { first: 'A' } })).toEqual({
      title: 'x',
      author_name: { first: 'A' },
    });
  });

  it('keeps a "__proto__" key as data, never as the prototype', () => {
    const served = servedUserObject(storedUserObject(JSON.parse('{"__proto__": {"polluted": true}}'))) as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(served)).toBe(Object.prototype);
    expect(Object.keys(served)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
