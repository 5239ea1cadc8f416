/**
 * Contract every ReadStore adapter must meet, with MongoDB's semantics as the reference.
 * Each test uses its own collection names, so one store serves the whole suite.
 */
import { DuplicateKeyError, type Collection, type Doc, type ReadStore } from '../../src/infra/readstore/port.js';

let counter = 0;
const runId = `${process.pid}_${Date.now().toString(36)}`;
/** A collection name no other test (or earlier run against a shared server) uses. */
export const uniqueName = (label: string) => `t_${runId}_${label}_${++counter}`;

/** `uniqueIndexes: false` for collections that offer none but _id's (the embedded store's archives). */
export function describeReadStoreContract(
  name: string,
  open: () => Promise<ReadStore>,
  { uniqueIndexes = true } = {},
): void {
  const withUnique = uniqueIndexes ? it : it.skip;
  describe(`ReadStore contract: ${name}`, () => {
    let store: ReadStore;

    beforeAll(async () => {
      store = await open();
    });

    afterAll(async () => {
      await store?.close();
    });

    /** A fresh collection holding the given documents. */
    async function seeded(label: string, docs: Doc[] = []): Promise<Collection> {
      const coll = store.collection(uniqueName(label));
      for (const doc of docs) await coll.insertOne(doc);
      return coll;
    }

    const ids = (docs: Doc[]) => docs.map((d) => d._id).sort();

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    describe('insert and find', () => {
      it('finds an inserted document by _id and null for a missing one', async () => {
        const coll = await seeded('insert', [{ _id: 'a', name: 'Alice', tags: ['x'], meta: { kind: 'k' } }]);
        expect(coll.name).toMatch(/^t_.*_insert_\d+$/);
        await expect(coll.findOne({ _id: 'a' })).resolves.toEqual({
          _id: 'a',
          name: 'Alice',
          tags: ['x'],
          meta: { kind: 'k' },
        });
        await expect(coll.findOne({ _id: 'nope' })).resolves.toBeNull();
      });

      it('hands out results that cannot change the store: a copy, or a frozen document', async () => {
        const coll = await seeded('copies', [{ _id: 'a', tags: ['x'] }]);
        const doc = await coll.findOne({ _id: 'a' });
        try {
          doc!.tags.push('y');
        } catch (err) {
          expect(err).toBeInstanceOf(TypeError); // frozen
        }
        await expect(coll.findOne({ _id: 'a' })).resolves.toEqual({ _id: 'a', tags: ['x'] });
      });

      it('raises DuplicateKeyError when inserting an existing _id', async () => {
        const coll = await seeded('dupid', [{ _id: 'a', n: 1 }]);
        await expect(coll.insertOne({ _id: 'a', n: 2 })).rejects.toBeInstanceOf(DuplicateKeyError);
        await expect(coll.findOne({ _id: 'a' })).resolves.toEqual({ _id: 'a', n: 1 });
      });
    });

    describe('filter operators', () => {
      const people: Doc[] = [
        { _id: 'p1', name: 'Alice', age: 30, role: 'admin', tags: ['a', 'b'], meta: { team: 'red' } },
        { _id: 'p2', name: 'bob', age: 25, role: 'default', tags: ['b'], meta: { team: 'blue' } },
        { _id: 'p3', name: 'Carol', age: 35, role: 'manager', tags: [], nick: null },
        { _id: 'p4', name: 'dave', age: 40, role: 'default' },
      ];
      let coll: Collection;

      beforeAll(async () => {
        coll = await seeded('filters', people);
      });

      const cases: Array<[string, Record<string, any>, string[]]> = [
        ['equality', { role: 'default' }, ['p2', 'p4']],
        ['equality on a nested path', { 'meta.team': 'red' }, ['p1']],
        ['equality against an array element', { tags: 'b' }, ['p1', 'p2']],
        ['equality with null matches null and missing', { nick: null }, ['p1', 'p2', 'p3', 'p4']],
        ['$eq', { age: { $eq: 25 } }, ['p2']],
        ['$ne', { role: { $ne: 'default' } }, ['p1', 'p3']],
        ['$ne on an array field excludes arrays holding the value', { tags: { $ne: 'a' } }, ['p2', 'p3', 'p4']],
        ['$gt', { age: { $gt: 30 } }, ['p3', 'p4']],
        ['$gte', { age: { $gte: 30 } }, ['p1', 'p3', 'p4']],
        ['$lt', { age: { $lt: 30 } }, ['p2']],
        ['$lte', { age: { $lte: 30 } }, ['p1', 'p2']],
        ['a range ($gt and $lte)', { age: { $gt: 25, $lte: 35 } }, ['p1', 'p3']],
        ['$in', { role: { $in: ['admin', 'manager'] } }, ['p1', 'p3']],
        ['$in on _id', { _id: { $in: ['p2', 'p4', 'zz'] } }, ['p2', 'p4']],
        ['$in against array elements', { tags: { $in: ['a', 'z'] } }, ['p1']],
        ['$nin', { role: { $nin: ['admin', 'manager'] } }, ['p2', 'p4']],
        ['$nin on an array field', { tags: { $nin: ['b'] } }, ['p3', 'p4']],
        ['$exists: true (an empty array exists)', { tags: { $exists: true } }, ['p1', 'p2', 'p3']],
        ['$exists: false', { tags: { $exists: false } }, ['p4']],
        ['$exists: true on a null field', { nick: { $exists: true } }, ['p3']],
        ['$regex with a RegExp', { name: { $regex: /^[ab]/i } }, ['p1', 'p2']],
        ['$regex with a string and $options', { name: { $regex: '^c', $options: 'i' } }, ['p3']],
        ['a RegExp as value', { name: /o/ }, ['p2', 'p3']],
        ['$and', { $and: [{ age: { $gte: 30 } }, { role: 'default' }] }, ['p4']],
        ['$or', { $or: [{ role: 'admin' }, { age: { $lt: 30 } }] }, ['p1', 'p2']],
        ['$or beside a field condition', { role: 'default', $or: [{ age: 25 }, { name: 'Alice' }] }, ['p2']],
        ['an empty filter', {}, ['p1', 'p2', 'p3', 'p4']],
      ];

      it.each(cases)('%s', async (_label, filter, expected) => {
        expect(ids(await coll.find(filter))).toEqual(expected);
        await expect(coll.count(filter)).resolves.toBe(expected.length);
      });

      it('findOne takes the same filters', async () => {
        await expect(coll.findOne({ age: { $gt: 36 } })).resolves.toMatchObject({ _id: 'p4' });
        await expect(coll.findOne({ age: { $gt: 99 } })).resolves.toBeNull();
      });
    });

    describe('sort, skip and limit', () => {
      let coll: Collection;

      beforeAll(async () => {
        coll = await seeded('sort', [
          { _id: 's1', group: 'b', n: 3 },
          { _id: 's2', group: 'a', n: 1 },
          { _id: 's3', group: 'b', n: 2 },
          { _id: 's4', group: 'a', n: 5 },
          { _id: 's5', group: 'c', n: 4 },
        ]);
      });

      const order = async (options: Parameters<Collection['find']>[1], filter = {}) =>
        (await coll.find(filter, options)).map((d) => d._id);

      it('sorts ascending and descending', async () => {
        await expect(order({ sort: { n: 1 } })).resolves.toEqual(['s2', 's3', 's1', 's5', 's4']);
        await expect(order({ sort: { n: -1 } })).resolves.toEqual(['s4', 's5', 's1', 's3', 's2']);
      });

      it('sorts by several keys in order', async () => {
        await expect(order({ sort: { group: 1, n: -1 } })).resolves.toEqual(['s4', 's2', 's1', 's3', 's5']);
      });

      it('pages with skip and limit after sorting', async () => {
        await expect(order({ sort: { n: 1 }, limit: 2 })).resolves.toEqual(['s2', 's3']);
        await expect(order({ sort: { n: 1 }, skip: 2, limit: 2 })).resolves.toEqual(['s1', 's5']);
        await expect(order({ sort: { n: 1 }, skip: 4, limit: 2 })).resolves.toEqual(['s4']);
        await expect(order({ sort: { n: 1 }, skip: 9 })).resolves.toEqual([]);
      });

      it('combines a filter with sort and limit', async () => {
        await expect(order({ sort: { n: -1 }, limit: 1 }, { group: 'b' })).resolves.toEqual(['s1']);
      });

      it('counts matching documents', async () => {
        await expect(coll.count({})).resolves.toBe(5);
        await expect(coll.count({ group: 'a' })).resolves.toBe(2);
        await expect(coll.count({ group: 'zzz' })).resolves.toBe(0);
      });
    });

    describe('updateOne operators', () => {
      async function updated(doc: Doc, update: Record<string, any>): Promise<Doc | null> {
        const coll = await seeded('update', [doc]);
        await expect(coll.updateOne({ _id: doc._id }, update)).resolves.toEqual({ matched: 1, upserted: false });
        return coll.findOne({ _id: doc._id });
      }

      it('$set sets fields, including nested paths', async () => {
        await expect(updated({ _id: 'u', a: 1, m: { x: 1 } }, { $set: { a: 2, b: 'new', 'm.y': 2 } })).resolves.toEqual(
          {
            _id: 'u',
            a: 2,
            b: 'new',
            m: { x: 1, y: 2 },
          },
        );
      });

      it('$unset removes fields', async () => {
        await expect(updated({ _id: 'u', a: 1, b: 2 }, { $unset: { b: '' } })).resolves.toEqual({ _id: 'u', a: 1 });
      });

      it('$inc adds to a number and starts a missing field at the increment', async () => {
        await expect(updated({ _id: 'u', n: 5 }, { $inc: { n: 2, fresh: 3 } })).resolves.toEqual({
          _id: 'u',
          n: 7,
          fresh: 3,
        });
        await expect(updated({ _id: 'u', n: 5 }, { $inc: { n: -6 } })).resolves.toEqual({ _id: 'u', n: -1 });
      });

      it('$push appends one value or several with $each, creating the array', async () => {
        await expect(updated({ _id: 'u', l: [1] }, { $push: { l: 2 } })).resolves.toEqual({ _id: 'u', l: [1, 2] });
        await expect(updated({ _id: 'u', l: [1] }, { $push: { l: { $each: [2, 3] } } })).resolves.toEqual({
          _id: 'u',
          l: [1, 2, 3],
        });
        await expect(updated({ _id: 'u' }, { $push: { l: 'x' } })).resolves.toEqual({ _id: 'u', l: ['x'] });
      });

      it('$pull removes every matching value, by value or by condition', async () => {
        await expect(updated({ _id: 'u', l: [1, 2, 1, 3] }, { $pull: { l: 1 } })).resolves.toEqual({
          _id: 'u',
          l: [2, 3],
        });
        await expect(updated({ _id: 'u', l: [1, 5, 7] }, { $pull: { l: { $gte: 5 } } })).resolves.toEqual({
          _id: 'u',
          l: [1],
        });
        await expect(
          updated(
            {
              _id: 'u',
              l: [
                { id: 1, v: 'a' },
                { id: 2, v: 'b' },
              ],
            },
            { $pull: { l: { id: 2 } } },
          ),
        ).resolves.toEqual({ _id: 'u', l: [{ id: 1, v: 'a' }] });
      });

      it('$pull on a missing field is no error', async () => {
        // MongoDB leaves the field absent; the embedded store may leave an empty array.
        const doc = await updated({ _id: 'u', n: 1 }, { $pull: { l: 1 }, $set: { n: 2 } });
        expect(doc).toMatchObject({ _id: 'u', n: 2 });
        expect(doc?.l ?? []).toEqual([]);
      });

      it('$addToSet adds only missing values, alone or with $each', async () => {
        await expect(updated({ _id: 'u', s: ['a'] }, { $addToSet: { s: 'a' } })).resolves.toEqual({
          _id: 'u',
          s: ['a'],
        });
        await expect(
          updated({ _id: 'u', s: ['a'] }, { $addToSet: { s: { $each: ['a', 'b', 'c'] } } }),
        ).resolves.toEqual({
          _id: 'u',
          s: ['a', 'b', 'c'],
        });
        await expect(updated({ _id: 'u' }, { $addToSet: { s: 'z' } })).resolves.toEqual({ _id: 'u', s: ['z'] });
      });

      it('applies several operators in one update', async () => {
        await expect(
          updated(
            { _id: 'u', n: 1, s: [], gone: true },
            { $set: { name: 'x' }, $inc: { n: 1 }, $addToSet: { s: 1 }, $unset: { gone: '' } },
          ),
        ).resolves.toEqual({ _id: 'u', n: 2, s: [1], name: 'x' });
      });

      it('reports no match, and changes only one document when several match', async () => {
        const coll = await seeded('updateone', [
          { _id: 'a', g: 1, n: 0 },
          { _id: 'b', g: 1, n: 0 },
        ]);
        await expect(coll.updateOne({ _id: 'zz' }, { $set: { n: 1 } })).resolves.toEqual({
          matched: 0,
          upserted: false,
        });
        await expect(coll.updateOne({ g: 1 }, { $inc: { n: 1 } })).resolves.toEqual({ matched: 1, upserted: false });
        await expect(coll.count({ n: 1 })).resolves.toBe(1);
        await expect(coll.count({})).resolves.toBe(2);
      });
    });

    describe('upsert', () => {
      it('inserts a document built from the filter equality fields and the update', async () => {
        const coll = await seeded('upsert');
        await expect(
          coll.updateOne(
            { _id: 'w1', kind: 'workspace' },
            { $set: { name: 'W' }, $inc: { n: 1 }, $push: { l: 'a' } },
            { upsert: true },
          ),
        ).resolves.toEqual({ matched: 0, upserted: true });
        await expect(coll.findOne({ _id: 'w1' })).resolves.toEqual({
          _id: 'w1',
          kind: 'workspace',
          name: 'W',
          n: 1,
          l: ['a'],
        });
      });

      it('leaves operator conditions of the filter out of the inserted document', async () => {
        const coll = await seeded('upsert_ops');
        await coll.updateOne(
          { _id: 'd1', pos: { $lt: 5 }, name: { $regex: /x/ } },
          { $set: { pos: 5, v: 'a' } },
          { upsert: true },
        );
        await expect(coll.findOne({ _id: 'd1' })).resolves.toEqual({ _id: 'd1', pos: 5, v: 'a' });
      });

      it('updates the matching document instead when there is one', async () => {
        const coll = await seeded('upsert_match', [{ _id: 'd1', n: 1 }]);
        await expect(coll.updateOne({ _id: 'd1' }, { $inc: { n: 1 } }, { upsert: true })).resolves.toEqual({
          matched: 1,
          upserted: false,
        });
        await expect(coll.updateOne({ _id: 'd1' }, { $inc: { n: 1 } }, { upsert: true })).resolves.toEqual({
          matched: 1,
          upserted: false,
        });
        await expect(coll.find({})).resolves.toEqual([{ _id: 'd1', n: 3 }]);
      });

      it('a position-guarded upsert applies a newer event', async () => {
        const coll = await seeded('guard_new', [{ _id: 'd1', pos: 3, v: 'old' }]);
        await expect(
          coll.updateOne({ _id: 'd1', pos: { $lt: 5 } }, { $set: { pos: 5, v: 'new' } }, { upsert: true }),
        ).resolves.toEqual({ matched: 1, upserted: false });
        await expect(coll.find({})).resolves.toEqual([{ _id: 'd1', pos: 5, v: 'new' }]);
      });

      it("applyGuarded's upsert of a missing document builds it from the _id and the update, fields in the update's order", async () => {
        const coll = await seeded('guard_missing');
        await expect(
          coll.updateOne(
            { _id: 'd1', _pos: { $lt: 4 } },
            { $inc: { n: 2 }, $set: { v: 'a', flag: false, none: null, _pos: 4 } },
            { upsert: true },
          ),
        ).resolves.toEqual({ matched: 0, upserted: true });
        const doc = await coll.findOne({ _id: 'd1' });
        expect(doc).toEqual({ _id: 'd1', n: 2, v: 'a', flag: false, none: null, _pos: 4 });
        expect(Object.keys(doc!)).toEqual(['_id', 'n', 'v', 'flag', 'none', '_pos']);
        await expect(
          coll.updateOne({ _id: 'd1', _pos: { $lt: 4 } }, { $set: { v: 'again', _pos: 4 } }, { upsert: true }),
        ).rejects.toBeInstanceOf(DuplicateKeyError);
        await expect(coll.updateOne({ _id: 'd2', _pos: { $lt: 4 } }, { $set: { v: 'b', _pos: 4 } })).resolves.toEqual({
          matched: 0,
          upserted: false,
        });
        await expect(coll.count({})).resolves.toBe(1);
      });

      it('a position-guarded upsert of an already applied event raises DuplicateKeyError and changes nothing', async () => {
        // This is how projections make redelivery harmless: the caller treats DuplicateKeyError as "already applied".
        const coll = await seeded('guard_old', [{ _id: 'd1', pos: 7, v: 'current' }]);
        await expect(
          coll.updateOne({ _id: 'd1', pos: { $lt: 5 } }, { $set: { pos: 5, v: 'stale' } }, { upsert: true }),
        ).rejects.toBeInstanceOf(DuplicateKeyError);
        await expect(coll.find({})).resolves.toEqual([{ _id: 'd1', pos: 7, v: 'current' }]);
      });
    });

    describe('upsertMany', () => {
      it('inserts missing documents and sets the given fields of existing ones, keeping their others', async () => {
        const coll = await seeded('umany_plain', [{ _id: 'a', n: 1, keep: 'k' }]);
        await expect(
          coll.upsertMany([
            { _id: 'a', n: 2 },
            { _id: 'b', n: 3, tags: ['x'], meta: { m: 1 } },
          ]),
        ).resolves.toEqual({ written: 2 });
        await expect(coll.find({}, { sort: { _id: 1 } })).resolves.toEqual([
          { _id: 'a', n: 2, keep: 'k' },
          { _id: 'b', n: 3, tags: ['x'], meta: { m: 1 } },
        ]);
        await expect(coll.upsertMany([])).resolves.toEqual({ written: 0 });
      });

      it('with a guard writes only over documents holding a lower position: a redelivered batch changes nothing', async () => {
        const coll = await seeded('umany_guard', [
          { _id: 'older', pos: 3, v: 'old' },
          { _id: 'newer', pos: 9, v: 'current' },
          { _id: 'same', pos: 5, v: 'applied' },
        ]);
        const batch = ['older', 'newer', 'same', 'fresh'].map((_id) => ({ _id, pos: 5, v: 'batch' }));
        await expect(coll.upsertMany(batch, { guard: 'pos' })).resolves.toEqual({ written: 2 });
        const after = [
          { _id: 'fresh', pos: 5, v: 'batch' },
          { _id: 'newer', pos: 9, v: 'current' },
          { _id: 'older', pos: 5, v: 'batch' },
          { _id: 'same', pos: 5, v: 'applied' },
        ];
        await expect(coll.find({}, { sort: { _id: 1 } })).resolves.toEqual(after);
        await expect(coll.upsertMany(batch, { guard: 'pos' })).resolves.toEqual({ written: 0 });
        await expect(coll.find({}, { sort: { _id: 1 } })).resolves.toEqual(after);
      });

      it('keeps indexed lookups right for the documents it writes', async () => {
        const coll = await seeded('umany_index', [{ _id: 'a', g: 1, pos: 1 }]);
        await coll.ensureIndex(['g']);
        await coll.upsertMany(
          [
            { _id: 'a', g: 2, pos: 2 },
            { _id: 'b', g: 2, pos: 2 },
          ],
          { guard: 'pos' },
        );
        await expect(coll.count({ g: 1 })).resolves.toBe(0);
        expect(ids(await coll.find({ g: 2 }))).toEqual(['a', 'b']);
      });

      it('refuses a batch with a document lacking a string _id or the guard number, writing none of it', async () => {
        const coll = await seeded('umany_bad');
        await expect(
          coll.upsertMany([{ _id: 'a', pos: 1 }, { pos: 2 } as unknown as Doc], { guard: 'pos' }),
        ).rejects.toThrow();
        await expect(
          coll.upsertMany(
            [
              { _id: 'a', pos: 1 },
              { _id: 'b', pos: '2' },
            ],
            { guard: 'pos' },
          ),
        ).rejects.toThrow();
        await expect(coll.count({})).resolves.toBe(0);
      });
    });

    describe('updateMany, deleteOne, deleteMany', () => {
      it('updateMany updates every match and reports how many', async () => {
        const coll = await seeded('umany', [
          { _id: 'a', g: 1 },
          { _id: 'b', g: 1 },
          { _id: 'c', g: 2 },
        ]);
        await expect(coll.updateMany({ g: 1 }, { $set: { seen: true } })).resolves.toEqual({ matched: 2 });
        expect(ids(await coll.find({ seen: true }))).toEqual(['a', 'b']);
        await expect(coll.updateMany({ g: 9 }, { $set: { seen: true } })).resolves.toEqual({ matched: 0 });
      });

      it('deleteOne deletes one match; deleteMany deletes all', async () => {
        const coll = await seeded('delete', [
          { _id: 'a', g: 1 },
          { _id: 'b', g: 1 },
          { _id: 'c', g: 1 },
          { _id: 'd', g: 2 },
        ]);
        await expect(coll.deleteOne({ _id: 'zz' })).resolves.toEqual({ deleted: 0 });
        await expect(coll.deleteOne({ g: 1 })).resolves.toEqual({ deleted: 1 });
        await expect(coll.count({ g: 1 })).resolves.toBe(2);
        await expect(coll.deleteMany({ g: 1 })).resolves.toEqual({ deleted: 2 });
        expect(ids(await coll.find({}))).toEqual(['d']);
        await expect(coll.deleteMany({})).resolves.toEqual({ deleted: 1 });
        await expect(coll.count({})).resolves.toBe(0);
      });
    });

    describe('indexes', () => {
      withUnique('a unique index raises DuplicateKeyError on insert and on update, and is idempotent', async () => {
        const coll = await seeded('unique', [{ _id: 'a', email: 'a@x' }]);
        await coll.ensureIndex(['email'], { unique: true });
        await coll.ensureIndex(['email'], { unique: true });
        await coll.insertOne({ _id: 'b', email: 'b@x' });
        await expect(coll.insertOne({ _id: 'c', email: 'a@x' })).rejects.toBeInstanceOf(DuplicateKeyError);
        await expect(coll.updateOne({ _id: 'b' }, { $set: { email: 'a@x' } })).rejects.toBeInstanceOf(
          DuplicateKeyError,
        );
        await expect(
          coll.updateOne({ _id: 'new' }, { $set: { email: 'b@x' } }, { upsert: true }),
        ).rejects.toBeInstanceOf(DuplicateKeyError);
        expect((await coll.find({}, { sort: { _id: 1 } })).map((d) => d.email)).toEqual(['a@x', 'b@x']);
      });

      withUnique('a compound unique index rejects only the same combination', async () => {
        const coll = await seeded('compound');
        await coll.ensureIndex(['workspace', 'slug'], { unique: true });
        await coll.insertOne({ _id: '1', workspace: 1, slug: 's' });
        await coll.insertOne({ _id: '2', workspace: 2, slug: 's' });
        await coll.insertOne({ _id: '3', workspace: 1, slug: 't' });
        await expect(coll.insertOne({ _id: '4', workspace: 2, slug: 's' })).rejects.toBeInstanceOf(DuplicateKeyError);
        await expect(coll.count({})).resolves.toBe(3);
      });

      withUnique('a unique index over existing duplicates is refused', async () => {
        const coll = await seeded('unique_late', [
          { _id: 'a', k: 1 },
          { _id: 'b', k: 1 },
        ]);
        await expect(coll.ensureIndex(['k'], { unique: true })).rejects.toBeInstanceOf(DuplicateKeyError);
      });

      it('a non-unique index changes no result', async () => {
        const coll = await seeded('plain_index', [
          { _id: 'a', k: 1 },
          { _id: 'b', k: 1 },
        ]);
        await coll.ensureIndex(['k']);
        expect(ids(await coll.find({ k: 1 }))).toEqual(['a', 'b']);
        await coll.insertOne({ _id: 'c', k: 1 });
        await expect(coll.count({ k: { $in: [1] } })).resolves.toBe(3);
      });
    });

    describe('collections', () => {
      it('lists collections that hold documents', async () => {
        const a = await seeded('list_a', [{ _id: '1' }]);
        const b = await seeded('list_b', [{ _id: '1' }]);
        const names = await store.listCollections();
        expect(names).toEqual(expect.arrayContaining([a.name, b.name]));
      });

      it('drop removes a collection and its documents; dropping an unknown one is fine', async () => {
        const coll = await seeded('drop', [{ _id: '1' }, { _id: '2' }]);
        await store.drop(coll.name);
        expect(await store.listCollections()).not.toContain(coll.name);
        await expect(coll.count({})).resolves.toBe(0);
        await expect(store.drop(uniqueName('never'))).resolves.toBeUndefined();
        // The name is usable again afterwards.
        await coll.insertOne({ _id: '3' });
        expect(ids(await coll.find({}))).toEqual(['3']);
      });

      it('create makes an empty collection a rename can take as its source, and leaves an existing one as it is', async () => {
        const name = uniqueName('created');
        await store.create(name);
        expect(await store.listCollections()).toContain(name);
        await expect(store.collection(name).count({})).resolves.toBe(0);
        const kept = await seeded('kept', [{ _id: '1' }]);
        await store.create(kept.name);
        expect(ids(await kept.find({}))).toEqual(['1']);
        const target = await seeded('target', [{ _id: 'old' }]);
        await store.rename(name, target.name);
        await expect(target.count({})).resolves.toBe(0);
      });

      withUnique('rename replaces the target with the source, indexes included', async () => {
        const live = await seeded('live', [{ _id: 'old1' }, { _id: 'old2' }]);
        const fresh = await seeded('fresh', [
          { _id: 'new1', email: 'a' },
          { _id: 'new2', email: 'b' },
        ]);
        await fresh.ensureIndex(['email'], { unique: true });
        await store.rename(fresh.name, live.name);

        // A handle taken before the switch reads the new data.
        expect(ids(await live.find({}))).toEqual(['new1', 'new2']);
        expect(ids(await store.collection(live.name).find({}))).toEqual(['new1', 'new2']);
        await expect(live.insertOne({ _id: 'new3', email: 'a' })).rejects.toBeInstanceOf(DuplicateKeyError);
        const names = await store.listCollections();
        expect(names).toContain(live.name);
        expect(names).not.toContain(fresh.name);
        await expect(store.collection(fresh.name).count({})).resolves.toBe(0);
      });

      it('reads racing a rename see the old or the new collection whole, and the new one after', async () => {
        const live = await seeded('racing_live', [{ _id: 'old1' }, { _id: 'old2' }]);
        const fresh = await seeded('racing_fresh', [{ _id: 'new1' }, { _id: 'new2' }, { _id: 'new3' }]);
        const reads = Array.from({ length: 10 }, () => live.find({}));
        let renaming = true;
        const renamed = store.rename(fresh.name, live.name).finally(() => (renaming = false));
        // Keep reading through every step of the switch.
        while (renaming) {
          const read = live.find({});
          reads.push(read);
          await read;
          await new Promise((resolve) => setImmediate(resolve)); // let I/O run, or an in-memory read loop starves it
        }
        await renamed;
        for (const result of await Promise.all(reads)) {
          expect([
            ['old1', 'old2'],
            ['new1', 'new2', 'new3'],
          ]).toContainEqual(ids(result));
        }
        expect(ids(await live.find({}))).toEqual(['new1', 'new2', 'new3']);
        await live.insertOne({ _id: 'new4' });
        expect(ids(await store.collection(live.name).find({}))).toEqual(['new1', 'new2', 'new3', 'new4']);
      });

      it('rename to a name that does not exist yet moves the collection', async () => {
        const from = await seeded('from', [{ _id: 'x' }]);
        const to = uniqueName('to');
        await store.rename(from.name, to);
        expect(ids(await store.collection(to).find({}))).toEqual(['x']);
        expect(await store.listCollections()).not.toContain(from.name);
      });
    });
  });
}
