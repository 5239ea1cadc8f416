import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuplicateKeyError } from '../../src/infra/readstore/port.js';
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import { applyGuarded } from '../../src/projections/shared/projection.js';
import { describeReadStoreContract, uniqueName } from './readstore.contract.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chronicle-sqlite-readstore-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const file = () => join(dir, `${uniqueName('rs')}.sqlite`);
const flushed = () => new Promise((r) => setImmediate(r));

describeReadStoreContract('sqlite in memory', async () => SqliteReadStore.open(':memory:'));
describeReadStoreContract('sqlite on disk', async () => SqliteReadStore.open(file()));

describe('sqlite read store: durability', () => {
  it('writes a collection again after it was renamed away (a second rebuild in one process)', async () => {
    const path = file();
    const store = SqliteReadStore.open(path);
    for (const round of [1, 2]) {
      await store.collection('users__rebuild').insertOne({ _id: 'a', round });
      await store.rename('users__rebuild', 'users');
    }
    await store.close();
    const reopened = SqliteReadStore.open(path);
    await expect(reopened.collection('users').find({})).resolves.toEqual([{ _id: 'a', round: 2 }]);
    await expect(reopened.listCollections()).resolves.not.toContain('users__rebuild');
    await reopened.close();
  });

  it('keeps documents, updates, deletes and unique indexes across close and reopen', async () => {
    const path = file();
    const first = SqliteReadStore.open(path);
    const coll = first.collection('people');
    await coll.ensureIndex(['email'], { unique: true });
    await coll.insertOne({ _id: 'a', email: 'a@x', n: 1 });
    await coll.insertOne({ _id: 'b', email: 'b@x', n: 1 });
    await coll.updateOne({ _id: 'a' }, { $inc: { n: 1 } });
    await coll.updateOne({ _id: 'c' }, { $set: { email: 'c@x' } }, { upsert: true });
    await coll.deleteOne({ _id: 'b' });
    await first.close();

    const second = SqliteReadStore.open(path);
    const again = second.collection('people');
    await expect(again.find({}, { sort: { _id: 1 } })).resolves.toEqual([
      { _id: 'a', email: 'a@x', n: 2 },
      { _id: 'c', email: 'c@x' },
    ]);
    await expect(again.insertOne({ _id: 'd', email: 'a@x' })).rejects.toBeInstanceOf(DuplicateKeyError);
    await second.close();
  });

  it('writes everything from one turn of the event loop in one transaction, without waiting for close', async () => {
    const path = file();
    const first = SqliteReadStore.open(path);
    await first.collection('projected').insertOne({ _id: 'doc', n: 1 });
    await first.collection('checkpoints').updateOne({ _id: 'p' }, { $set: { position: 9 } }, { upsert: true });
    await flushed();

    const other = SqliteReadStore.open(path); // as a process restarted after a crash would
    await expect(other.collection('projected').findOne({ _id: 'doc' })).resolves.toEqual({ _id: 'doc', n: 1 });
    await expect(other.collection('checkpoints').findOne({ _id: 'p' })).resolves.toEqual({ _id: 'p', position: 9 });
    await other.close();
    await first.close();
  });

  it('a rename survives reopening, keeps the source indexes, and the source is gone', async () => {
    const path = file();
    const first = SqliteReadStore.open(path);
    await first.collection('live').insertOne({ _id: 'old' });
    await first.collection('fresh').insertOne({ _id: 'new' });
    await first.collection('fresh').ensureIndex(['k'], { unique: true });
    await first.rename('fresh', 'live');
    await first.collection('live').insertOne({ _id: 'after', k: 1 });
    await first.close();

    const second = SqliteReadStore.open(path);
    await expect(second.collection('live').find({}, { sort: { _id: 1 } })).resolves.toEqual([
      { _id: 'after', k: 1 },
      { _id: 'new' },
    ]);
    await expect(second.collection('live').insertOne({ _id: 'x', k: 1 })).rejects.toBeInstanceOf(DuplicateKeyError);
    await expect(second.listCollections()).resolves.toEqual(['live']);
    await second.close();
  });

  it('documents handed to a reader do not change under it', async () => {
    const store = SqliteReadStore.open(':memory:');
    const coll = store.collection('things');
    await coll.insertOne({ _id: 'a', tags: ['x'] });
    const before = await coll.findOne({ _id: 'a' });
    await coll.updateOne({ _id: 'a' }, { $push: { tags: 'y' } });
    expect(before).toEqual({ _id: 'a', tags: ['x'] });
    await expect(coll.findOne({ _id: 'a' })).resolves.toEqual({ _id: 'a', tags: ['x', 'y'] });
    await store.close();
  });

  it('finds by an indexed array field element', async () => {
    const store = SqliteReadStore.open(':memory:');
    const coll = store.collection('workspaces');
    await coll.ensureIndex(['members']);
    await coll.insertOne({ _id: '1', members: [1, 2] });
    await coll.insertOne({ _id: '2', members: [2] });
    await coll.updateOne({ _id: '1' }, { $pull: { members: 2 } });
    await expect(coll.find({ members: 2 })).resolves.toEqual([{ _id: '2', members: [2] }]);
    await expect(coll.find({ members: 1 })).resolves.toEqual([{ _id: '1', members: [1] }]);
    await store.close();
  });
});

describe('sqlite read store shared by processes', () => {
  it('a reader sees what the writer flushed once it syncs: updates, deletes and whole-collection switches', async () => {
    const path = file();
    const writer = SqliteReadStore.open(path);
    const reader = SqliteReadStore.open(path);
    await writer.collection('users').insertOne({ _id: '1', name: 'ann' });
    await writer.collection('users').insertOne({ _id: '2', name: 'bob' });
    await writer.flush();
    await expect(reader.collection('users').count({})).resolves.toBe(2); // first use loads the table

    await writer.collection('users').updateOne({ _id: '1' }, { $set: { name: 'ada' } });
    await writer.collection('users').deleteOne({ _id: '2' });
    await writer.flush();
    await expect(reader.collection('users').findOne({ _id: '1' })).resolves.toEqual({ _id: '1', name: 'ann' }); // not synced yet
    await reader.sync();
    await expect(reader.collection('users').find({})).resolves.toEqual([{ _id: '1', name: 'ada' }]);

    await writer.collection('users_next').insertOne({ _id: '9', name: 'new' });
    await writer.rename('users_next', 'users');
    await reader.sync();
    await expect(reader.collection('users').find({})).resolves.toEqual([{ _id: '9', name: 'new' }]);

    await writer.close();
    await reader.close();
  });

  it('a reader already holding a collection sees each document of an upsertMany batch once it syncs', async () => {
    const path = file();
    const writer = SqliteReadStore.open(path);
    const reader = SqliteReadStore.open(path);
    await writer.collection('chunks').insertOne({ _id: 'old', pos: 1, text: 'before' });
    await writer.flush();
    await expect(reader.collection('chunks').count({})).resolves.toBe(1);
    await writer.collection('chunks').upsertMany(
      [
        { _id: 'old', pos: 2, text: 'after' },
        { _id: 'new', pos: 2, text: 'added' },
      ],
      { guard: 'pos' },
    );
    await writer.flush();
    await reader.sync();
    await expect(reader.collection('chunks').find({}, { sort: { _id: 1 } })).resolves.toEqual([
      { _id: 'new', pos: 2, text: 'added' },
      { _id: 'old', pos: 2, text: 'after' },
    ]);
    await writer.close();
    await reader.close();
  });

  it('a bulk change is logged once for its collection, and the reader reloads it whole', async () => {
    const path = file();
    const writer = SqliteReadStore.open(path);
    const reader = SqliteReadStore.open(path);
    await expect(reader.collection('logs').count({})).resolves.toBe(0);
    for (let i = 0; i < 1500; i++) await writer.collection('logs').insertOne({ _id: String(i), i });
    await writer.flush();
    await reader.sync();
    await expect(reader.collection('logs').count({})).resolves.toBe(1500);
    await writer.close();
    await reader.close();
  });
});

describe('sqlite read store: the guarded update projections make, taken directly', () => {
  // applyGuarded's shape: {_id, _pos: {$lt: n}} with $set/$inc of top-level fields. The store answers it
  // without the general matcher and modifier; every case must end exactly as the general path ends it,
  // which the same filter takes when it carries a redundant clause.
  const seed = [
    { _id: 'u1', _pos: 5, name: 'ann', n: 1, tags: ['a'] },
    { _id: 'u2', name: 'bob', n: 2 }, // no _pos: never matches a $lt guard
    { _id: 'u3', _pos: '5', name: 'cy', n: 'x' }, // _pos of another type: never matches either
  ];
  const cases: [string, Record<string, any>, Record<string, any>, { upsert?: boolean }][] = [
    ['newer event', { _id: 'u1', _pos: { $lt: 6 } }, { $set: { name: 'ann2', _pos: 6 } }, {}],
    ['same event again', { _id: 'u1', _pos: { $lt: 5 } }, { $set: { name: 'zz', _pos: 5 } }, {}],
    ['$inc and $set', { _id: 'u1', _pos: { $lt: 9 } }, { $inc: { n: 2, fresh: 3 }, $set: { _pos: 9 } }, {}],
    ['no _pos', { _id: 'u2', _pos: { $lt: 9 } }, { $set: { name: 'b2', _pos: 9 } }, {}],
    ['string _pos', { _id: 'u3', _pos: { $lt: 9 } }, { $set: { name: 'c2', _pos: 9 } }, {}],
    ['$inc of a string', { _id: 'u1', _pos: { $lt: 9 } }, { $inc: { name: 1 }, $set: { _pos: 9 } }, {}],
    ['missing, upserted', { _id: 'u4', _pos: { $lt: 9 } }, { $set: { name: 'dee', _pos: 9 } }, { upsert: true }],
    [
      'present and newer, upsert collides',
      { _id: 'u1', _pos: { $lt: 2 } },
      { $set: { name: 'old', _pos: 2 } },
      { upsert: true },
    ],
    ['missing, no upsert', { _id: 'u9', _pos: { $lt: 9 } }, { $set: { name: 'x', _pos: 9 } }, {}],
    ['object value (general path)', { _id: 'u1', _pos: { $lt: 9 } }, { $set: { meta: { a: 1 }, _pos: 9 } }, {}],
  ];

  it.each(cases)('%s: same answer and same documents as the general path', async (_label, filter, update, options) => {
    const outcomes = [];
    for (const general of [false, true]) {
      const store = SqliteReadStore.open(':memory:');
      const coll = store.collection('users');
      await coll.ensureIndex(['name']);
      for (const doc of seed) await coll.insertOne(doc);
      const asked = general ? { ...filter, $and: [{ _id: filter._id }] } : filter;
      const answer = await coll.updateOne(asked, update, options).then(
        (r) => r,
        (err: Error) => `${err.name}`,
      );
      outcomes.push({
        answer,
        docs: await coll.find({}, { sort: { _id: 1 } }),
        byName: await coll.find({ name: 'ann2' }),
      });
      await store.close();
    }
    expect(outcomes[0]).toEqual(outcomes[1]);
  });
});

describe('sqlite read store: applyGuarded through updateGuarded', () => {
  it('leaves the very documents (fields and their order) that the general matcher and modifier leave', async () => {
    const sqlite = SqliteReadStore.open(':memory:');
    const general = SqliteReadStore.open(':memory:');
    const name = uniqueName('guarded');
    const writes: [string, number, Record<string, unknown>, boolean?][] = [
      ['a', 1, { $set: { name: 'A', n: 0, on: true, none: null } }],
      ['b', 2, { $inc: { n: 2 }, $set: { name: 'B' } }],
      ['c', 3, { $inc: { n: 1 } }],
      ['a', 4, { $set: { name: 'A2' }, $inc: { n: 5, fresh: 1 } }, false],
      ['a', 4, { $set: { name: 'redelivered' } }, false],
      ['a', 2, { $set: { name: 'older' } }],
      ['b', 5, { $set: { name: 'later' } }],
      ['missing', 6, { $set: { name: 'M' } }, false],
      ['b', 7, { $set: { tags: ['x'], nested: { k: 1 } } }, false],
      ['c', 8, { $push: { list: 'p' } }, false],
      ['c', 9, { $inc: { n: 1 }, $set: { _pos: 1, late: 'y' } }, false],
      ['d', 10, { $set: { name: 'D' }, $inc: { n: 1 } }],
    ];
    for (const [id, position, update, upsert] of writes) {
      await applyGuarded(sqlite.collection(name), id, position, update, upsert ?? true);
      // A `when` clause takes applyGuarded's general path: a filter and update through the matcher and modifier.
      await applyGuarded(general.collection(name), id, position, update, upsert ?? true, { $and: [{ _id: id }] });
    }
    expect(typeof sqlite.collection(name).updateGuarded).toBe('function');
    const docs = await sqlite.collection(name).find({}, { sort: { _id: 1 } });
    expect(JSON.stringify(docs)).toBe(JSON.stringify(await general.collection(name).find({}, { sort: { _id: 1 } })));
    expect(docs.map((d) => d._pos)).toEqual([4, 7, 9, 10]);
    await sqlite.close();
    await general.close();
  });
});
