/**
 * The key store contract against the SQLite file (always), the in-memory cache over it, and MongoDB
 * (when MONGODB_URL is set); plus what only the SQLite file promises: a destroyed key leaves no bytes.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CachedKeyStore } from '../../src/infra/keystore/cached.js';
import { MongoKeyStore } from '../../src/infra/keystore/mongo.js';
import { SqliteKeyStore } from '../../src/infra/keystore/sqlite.js';
import { describeKeyStoreContract } from './keystore.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'chronicle-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'keys.sqlite');

describeKeyStoreContract('SqliteKeyStore', async () => SqliteKeyStore.open(file));
describeKeyStoreContract(
  'CachedKeyStore over SqliteKeyStore',
  async () => new CachedKeyStore(SqliteKeyStore.open(file)),
);

const mongoUrl = process.env.MONGODB_URL;
(mongoUrl ? describe : describe.skip)('MongoKeyStore (runs only when MONGODB_URL is set)', () => {
  const dbName = `chronicle_keys_${process.pid}`;
  describeKeyStoreContract('MongoKeyStore', () => MongoKeyStore.connect(mongoUrl as string, dbName));
});

describe('SqliteKeyStore on disk', () => {
  it('given a destroyed key, then its bytes are in no file of the store', async () => {
    const own = join(dir, 'shred');
    rmSync(own, { recursive: true, force: true });
    mkdirSync(own);
    const keys = SqliteKeyStore.open(join(own, 'keys.sqlite'));
    const key = (await keys.keyFor('user-1'))!;
    for (let i = 2; i < 50; i++) await keys.keyFor(`user-${i}`);
    const everything = () => Buffer.concat(readdirSync(own).map((f) => readFileSync(join(own, f))));
    expect(everything().includes(key)).toBe(true);
    await keys.destroy('user-1');
    expect(everything().includes(key)).toBe(false);
    await keys.close();
    expect(everything().includes(key)).toBe(false);
  });
});

describe('CachedKeyStore', () => {
  it('given a cached key, when destroyed through the cache, then it is forgotten at once', async () => {
    const keys = new CachedKeyStore(SqliteKeyStore.open(join(dir, 'cached.sqlite')));
    await keys.keyFor('user-9');
    expect(await keys.find('user-9')).not.toBeNull();
    await keys.destroy('user-9');
    expect(await keys.find('user-9')).toBeNull();
    expect(await keys.keyFor('user-9')).toBeNull();
    await keys.close();
  });
});
