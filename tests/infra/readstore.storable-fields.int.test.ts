/**
 * The embedded read store refuses the field names MongoDB refuses in some writes (`$` first, `.` or NUL
 * anywhere, at any depth), in every write, so a projection that would stop MongoDB fails here first.
 */
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import { assertStorableFields, UnstorableFieldError } from '../../src/infra/readstore/storable-fields.js';
import { applyGuarded } from '../../src/projections/shared/projection.js';

const POISON: Record<string, unknown>[] = [
  { $where: '1' },
  { 'a.b': 1 },
  { x: { $gt: 1 } },
  { list: [{ $x: 1 }] },
  { $$date: 1 },
  { 'nul\0': 1 },
];

describe('assertStorableFields', () => {
  it.each(POISON)('refuses %j, naming the field', (metadata) => {
    expect(() => assertStorableFields({ _id: '1', metadata })).toThrow(UnstorableFieldError);
  });

  it('names the path of the refused field', () => {
    expect(() => assertStorableFields({ _id: '1', metadata: { list: [{ ok: 1 }, { $x: 1 }] } })).toThrow(
      '"metadata.list.1.$x"',
    );
  });

  it('takes plain names, values holding $ and dots, dates and nulls', () => {
    expect(() =>
      assertStorableFields({
        _id: '1',
        a: '$where',
        b: 'a.b',
        c: new Date(),
        d: null,
        e: [1, 'x', { f: { g: 'h' } }],
        x$y: 1,
      }),
    ).not.toThrow();
  });
});

describe('embedded read store: every write path refuses unstorable field names and stores nothing', () => {
  let db: SqliteReadStore;
  beforeEach(() => {
    db = SqliteReadStore.open(':memory:');
  });
  afterEach(() => db.close());

  it.each(POISON)('%j: insertOne, updateOne, upsert, applyGuarded and upsertMany', async (metadata) => {
    const docs = db.collection('docs');
    await docs.insertOne({ _id: 'kept', metadata: { fine: 1 } });
    await expect(docs.insertOne({ _id: 'new', metadata })).rejects.toThrow(UnstorableFieldError);
    await expect(docs.updateOne({ _id: 'kept' }, { $set: { metadata } })).rejects.toThrow(UnstorableFieldError);
    await expect(docs.updateOne({ _id: 'new' }, { $set: { metadata } }, { upsert: true })).rejects.toThrow(
      UnstorableFieldError,
    );
    await expect(applyGuarded(docs, 'new', 7, { $set: { metadata } })).rejects.toThrow(UnstorableFieldError);
    await expect(docs.upsertMany([{ _id: 'new', _pos: 7, metadata }], { guard: '_pos' })).rejects.toThrow(
      UnstorableFieldError,
    );
    await expect(docs.find({})).resolves.toEqual([{ _id: 'kept', metadata: { fine: 1 } }]);
  });

  it('takes a dotted path in $set: a path, not a field name', async () => {
    const docs = db.collection('docs');
    await docs.insertOne({ _id: 'd', metadata: {} });
    await docs.updateOne({ _id: 'd' }, { $set: { 'metadata.a': 1 } });
    await expect(docs.findOne({ _id: 'd' })).resolves.toEqual({ _id: 'd', metadata: { a: 1 } });
  });
});
