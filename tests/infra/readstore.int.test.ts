import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoReadStore } from '../../src/infra/readstore/mongo.js';
import { NedbReadStore } from '../../src/infra/readstore/nedb.js';
import { DuplicateKeyError } from '../../src/infra/readstore/port.js';
import { describeReadStoreContract, uniqueName } from './readstore.contract.js';

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'chronicle-readstore-'));
  tempDirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describeReadStoreContract('nedb in memory', () => NedbReadStore.open(null));

describeReadStoreContract('nedb on disk', async () => NedbReadStore.open(await tempDir()));

describe('nedb on disk: durability', () => {
  it('keeps documents, updates, deletes and unique indexes across close and reopen', async () => {
    const dir = await tempDir();
    const name = uniqueName('durable');
    const first = await NedbReadStore.open(dir);
    const coll = first.collection(name);
    await coll.ensureIndex(['email'], { unique: true });
    await coll.insertOne({ _id: 'a', email: 'a@x', n: 1 });
    await coll.insertOne({ _id: 'b', email: 'b@x', n: 1 });
    await coll.updateOne({ _id: 'a' }, { $inc: { n: 1 } });
    await coll.updateOne({ _id: 'c' }, { $set: { email: 'c@x' } }, { upsert: true });
    await coll.deleteOne({ _id: 'b' });
    await first.close();

    const second = await NedbReadStore.open(dir);
    const again = second.collection(name);
    await expect(again.find({}, { sort: { _id: 1 } })).resolves.toEqual([
      { _id: 'a', email: 'a@x', n: 2 },
      { _id: 'c', email: 'c@x' },
    ]);
    await expect(again.insertOne({ _id: 'd', email: 'a@x' })).rejects.toBeInstanceOf(DuplicateKeyError);
    await second.close();
  });

  it('keeps writes made without close (the file is appended to as they happen)', async () => {
    const dir = await tempDir();
    const name = uniqueName('unclosed');
    const first = await NedbReadStore.open(dir);
    await first.collection(name).insertOne({ _id: 'a', n: 1 });
    await first.collection(name).updateOne({ _id: 'a' }, { $set: { n: 2 } });

    const second = await NedbReadStore.open(dir); // as a restarted process would, without first.close()
    await expect(second.collection(name).find({})).resolves.toEqual([{ _id: 'a', n: 2 }]);
    await second.close();
    await first.close();
  });

  it('a rename survives reopening, and the source is gone', async () => {
    const dir = await tempDir();
    const live = uniqueName('live');
    const fresh = uniqueName('fresh');
    const first = await NedbReadStore.open(dir);
    await first.collection(live).insertOne({ _id: 'old' });
    await first.collection(fresh).insertOne({ _id: 'new' });
    await first.collection(fresh).ensureIndex(['k'], { unique: true });
    await first.rename(fresh, live);
    await first.collection(live).insertOne({ _id: 'after', k: 1 });
    await first.close();

    expect((await readdir(dir)).sort()).toEqual([`${live}.db`]);
    const second = await NedbReadStore.open(dir);
    await expect(second.collection(live).find({}, { sort: { _id: 1 } })).resolves.toEqual([{ _id: 'after', k: 1 }, { _id: 'new' }]);
    await expect(second.collection(live).insertOne({ _id: 'x', k: 1 })).rejects.toBeInstanceOf(DuplicateKeyError);
    await expect(second.listCollections()).resolves.toEqual([live]);
    await second.close();
  });

  it('a drop deletes the file', async () => {
    const dir = await tempDir();
    const name = uniqueName('dropped');
    const first = await NedbReadStore.open(dir);
    await first.collection(name).insertOne({ _id: 'a' });
    await first.drop(name);
    await first.close();

    expect(await readdir(dir)).toEqual([]);
    const second = await NedbReadStore.open(dir);
    await expect(second.listCollections()).resolves.toEqual([]);
    await second.close();
  });

  it('close compacts the append-only file to one line per document', async () => {
    const dir = await tempDir();
    const name = uniqueName('compact');
    const store = await NedbReadStore.open(dir);
    const coll = store.collection(name);
    for (let i = 0; i < 50; i++) await coll.updateOne({ _id: 'a' }, { $inc: { n: 1 } }, { upsert: true });
    await store.close();

    const lines = (await readFile(join(dir, `${name}.db`), 'utf8')).split('\n').filter(Boolean);
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ _id: 'a', n: 50 }]);
  });
});

const mongoUrl = process.env.MONGODB_URL;
const describeWithMongo = mongoUrl ? describe : describe.skip;

describeWithMongo('MongoDB read store (runs only when MONGODB_URL is set)', () => {
  const dbName = `chronicle_test_${process.pid}_${Date.now().toString(36)}`;

  describeReadStoreContract('mongodb', () => MongoReadStore.connect(mongoUrl as string, dbName));

  afterAll(async () => {
    const { MongoClient } = await import('mongodb');
    const client = await new MongoClient(mongoUrl as string).connect();
    await client.db(dbName).dropDatabase();
    await client.close();
  });
});
