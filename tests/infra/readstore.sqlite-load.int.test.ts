import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuplicateKeyError } from '../../src/infra/readstore/port.js';
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import { uniqueName } from './readstore.contract.js';

/** More than two of loadAll's pages (2,000 documents each). */
const USERS = 5_000;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chronicle-sqlite-load-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A read store file holding USERS users (email unique), a small workspaces collection and an archive. */
async function storeWithUsers(): Promise<string> {
  const path = join(dir, `${uniqueName('load')}.sqlite`);
  const store = SqliteReadStore.open(path);
  const users = store.collection('users');
  await users.ensureIndex(['email'], { unique: true });
  await users.upsertMany(Array.from({ length: USERS }, (_, i) => ({ _id: `u${i}`, email: `u${i}@x`, n: i })));
  await store.collection('workspaces').insertOne({ _id: 'w1', name: 'one' });
  await store.collection('logs', { archive: true }).insertOne({ _id: 'l1', at: 1 });
  await store.close();
  return path;
}

describe('sqlite read store: loading every collection at open', () => {
  it('loads every document with its indexes, reporting progress up to the total, archives left on disk', async () => {
    // given a file with 5,001 documents in two collections and one archive document
    const store = SqliteReadStore.open(await storeWithUsers());
    const reported: [number, number][] = [];

    // when it is loaded
    await store.loadAll((loaded, total) => reported.push([loaded, total]));

    // then progress rose to the total of the in-memory collections
    expect(reported[0]).toEqual([0, USERS + 1]);
    expect(reported.at(-1)).toEqual([USERS + 1, USERS + 1]);
    expect(reported.every(([loaded], i) => i === 0 || loaded >= reported[i - 1][0])).toBe(true);
    // and the documents and the unique index answer as before
    const users = store.collection('users');
    await expect(users.count({})).resolves.toBe(USERS);
    await expect(users.findOne({ email: `u${USERS - 1}@x` })).resolves.toEqual({
      _id: `u${USERS - 1}`,
      email: `u${USERS - 1}@x`,
      n: USERS - 1,
    });
    await expect(users.insertOne({ _id: 'dup', email: 'u7@x' })).rejects.toBeInstanceOf(DuplicateKeyError);
    await expect(store.collection('workspaces').find({})).resolves.toEqual([{ _id: 'w1', name: 'one' }]);
    await expect(store.collection('logs').find({})).resolves.toEqual([{ _id: 'l1', at: 1 }]);
    await store.close();
  });

  it('lets the event loop run between pages', async () => {
    // given a file with 5,001 documents (three pages) and a callback that asks for every turn of the loop
    const store = SqliteReadStore.open(await storeWithUsers());
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);

    // when it is loaded
    await store.loadAll();
    counting = false;

    // then the loop turned between the pages, not only after the last
    expect(turns).toBeGreaterThanOrEqual(3);
    await store.close();
  });

  it('keeps a write made to a collection while it was still loading', async () => {
    // given a file with 5,000 users, loading, and writes kept in memory until close (none reaches the file meanwhile)
    const store = SqliteReadStore.open(await storeWithUsers(), { writeBehindMs: 600_000 });
    let written: Promise<unknown> | null = null;
    const users = store.collection('users');

    try {
      // when a user of the first page is changed after that page came in
      await store.loadAll((loaded) => {
        if (loaded > 0 && !written) written = users.updateOne({ _id: 'u0' }, { $set: { n: 'changed' } });
      });
      await written;

      // then the collection holds the change and every stored user
      await expect(users.findOne({ _id: 'u0' })).resolves.toEqual({ _id: 'u0', email: 'u0@x', n: 'changed' });
      await expect(users.count({})).resolves.toBe(USERS);
    } finally {
      await store.close(); // its write-behind timer would otherwise outlive the test
    }
  });

  it('loads a table without rowid, as earlier versions made them', async () => {
    // given a collection table created WITHOUT ROWID, with more documents than one page
    const path = join(dir, `${uniqueName('norowid')}.sqlite`);
    await SqliteReadStore.open(path).close();
    const raw = new Database(path);
    raw.exec('CREATE TABLE "doc_chunks" (id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID');
    const insert = raw.prepare('INSERT INTO "doc_chunks" (id, doc) VALUES (?, ?)');
    raw.transaction(() => {
      for (let i = 0; i < USERS; i++) insert.run(`c${i}`, JSON.stringify({ _id: `c${i}`, i }));
    })();
    raw.close();

    // when it is loaded
    const store = SqliteReadStore.open(path);
    await store.loadAll();

    // then every document is there
    const chunks = store.collection('chunks');
    await expect(chunks.count({})).resolves.toBe(USERS);
    await expect(chunks.findOne({ _id: `c${USERS - 1}` })).resolves.toEqual({ _id: `c${USERS - 1}`, i: USERS - 1 });
    await store.close();
  });
});
