import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Doc, Filter, FindOptions, ReadStore } from '../../src/infra/readstore/port.js';
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import { describeReadStoreContract, uniqueName } from './readstore.contract.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chronicle-archive-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const file = () => join(dir, `${uniqueName('ar')}.sqlite`);

/** The same store, every collection declared an archive. */
function archivesOnly(store: SqliteReadStore): ReadStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'collection') return (name: string) => target.collection(name, { archive: true });
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describeReadStoreContract('sqlite archive collections', async () => archivesOnly(SqliteReadStore.open(file())), {
  uniqueIndexes: false,
});

describe('sqlite archive: answered from its indexes on disk', () => {
  // Indexed fields hold strings, numbers or null; `note` (not indexed) holds anything, or is missing.
  const docs: Doc[] = [];
  const events = ['login_event', 'workspace_created', 'sent_chat', '9', ''];
  for (let i = 1; i <= 60; i++) {
    const doc: Doc = {
      _id: String(i),
      id: i,
      event: events[i % events.length],
      at: `2024-01-${String((i % 28) + 1).padStart(2, '0')}T00:00:00.000Z`,
    };
    doc.user_id = i % 7 === 0 || i % 4 === 0 ? null : i % 3 === 0 ? String(i % 5) : i % 5;
    if (i % 5) doc.note = i % 2 ? { tags: ['a', i] } : [i, 'b'];
    docs.push(doc);
  }
  const filters: Filter[] = [
    {},
    { event: 'sent_chat' },
    { event: '9' },
    { event: 9 },
    { user_id: 3 },
    { user_id: '3' },
    { user_id: null },
    { user_id: { $eq: 2 } },
    { user_id: { $in: [1, '2', 3] } },
    { user_id: { $in: [] } },
    { user_id: { $gte: 2 } },
    { user_id: { $lt: '3' } },
    { user_id: { $gt: 1, $lte: 3 } },
    { user_id: { $ne: 1 } },
    { user_id: { $exists: false } },
    { at: { $gte: '2024-01-10', $lte: '2024-01-20T23:59:59.999Z' } },
    { at: { $lt: 5 } },
    { id: { $gt: 50 } },
    { id: { $in: [1, 2, '3'] } },
    { _id: '7' },
    { _id: { $in: ['7', '8', 9] } },
    { _id: { $gte: '50' } },
    { _id: 7 },
    { event: 'sent_chat', user_id: { $gte: 1 } },
    { event: { $regex: /chat/ } },
    { 'note.tags': 'a' },
    { note: 2 },
    { $or: [{ event: 'sent_chat' }, { user_id: 4 }] },
    { event: 'login_event', note: { $exists: true } },
  ];
  const windows: FindOptions[] = [
    {},
    { sort: { id: -1 } },
    { sort: { id: -1 }, skip: 3, limit: 5 },
    { sort: { user_id: 1, id: 1 } },
    { sort: { event: -1, _id: 1 }, limit: 7 },
    { sort: { note: 1, id: 1 }, limit: 4 },
    { limit: 3 },
  ];

  it('gives exactly what the in-memory collections give, for every filter, sort and page', async () => {
    const store = SqliteReadStore.open(file());
    const archive = store.collection('log', { archive: true });
    for (const field of ['id', 'event', 'user_id', 'at']) await archive.ensureIndex([field]);
    const memory = store.collection('log_in_memory');
    for (const doc of docs) {
      await archive.insertOne(doc);
      await memory.insertOne(doc);
    }
    for (const filter of filters) {
      await expect(archive.count(filter)).resolves.toBe(await memory.count(filter));
      for (const window of windows) {
        const got = await archive.find(filter, window);
        const want = await memory.find(filter, window);
        // Ties in a sort may come in either order: compare as sets unless the sort ends on a unique key.
        const total = window.sort && ['id', '_id'].includes(Object.keys(window.sort).at(-1)!);
        if (total || window.limit === undefined)
          expect(total ? got : [...got].sort(byId)).toEqual(total ? want : [...want].sort(byId));
        else expect(got).toHaveLength(want.length);
      }
    }
    await store.close();
  });

  it('is kept on disk only, survives reopening and a rename, and stays an archive under its new name', async () => {
    const path = file();
    const first = SqliteReadStore.open(path);
    const fresh = first.collection('log__rebuild', { archive: true });
    await fresh.ensureIndex(['event']);
    await fresh.insertOne({ _id: '1', event: 'a' });
    await fresh.insertOne({ _id: '2', event: 'b' });
    await first.rename('log__rebuild', 'log');
    await first.close();

    const second = SqliteReadStore.open(path);
    const log = second.collection('log'); // no option: the store remembers
    await expect(log.ensureIndex(['event'], { unique: true })).rejects.toThrow(/no unique index/); // still an archive
    await expect(log.find({ event: 'b' })).resolves.toEqual([{ _id: '2', event: 'b' }]);
    await log.insertOne({ _id: '3', event: 'b' });
    await expect(log.count({ event: 'b' })).resolves.toBe(2); // reads see writes not yet flushed
    await second.drop('log');
    await expect(second.collection('log').ensureIndex(['event'], { unique: true })).resolves.toBeUndefined(); // dropped: an ordinary collection again
    await second.close();
  });

  it('refuses a unique index, and lists, objects or nothing under an indexed field', async () => {
    const store = SqliteReadStore.open(':memory:');
    const log = store.collection('log', { archive: true });
    await expect(log.ensureIndex(['event'], { unique: true })).rejects.toThrow(/unique/);
    await log.insertOne({ _id: '1', tags: ['x'], event: 'e' });
    await expect(log.ensureIndex(['tags'])).rejects.toThrow(/list or object/);
    await expect(log.ensureIndex(['missing'])).rejects.toThrow(/lacks missing/);
    await log.ensureIndex(['event']);
    await expect(log.insertOne({ _id: '2', event: ['x'] })).rejects.toThrow(/string, a number or null/);
    await expect(log.insertOne({ _id: '3' })).rejects.toThrow(/string, a number or null/);
    await expect(log.updateOne({ _id: '1' }, { $set: { event: { a: 1 } } })).rejects.toThrow(
      /string, a number or null/,
    );
    await store.close();
  });
});

const byId = (a: Doc, b: Doc) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);
