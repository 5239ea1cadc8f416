/**
 * Keys in a MongoDB collection (production), one document per subject: `{_id: subject, key: Binary,
 * destroyedAt: Date | null}`. A destroyed key's field is removed ($unset). MongoDB's storage engine
 * does not overwrite removed bytes at once: see docs/operations.md for what the deployment needs
 * (encrypted storage, backups that age out) for erasure to reach the disk.
 *
 * Written against mongodb 6.22's type definitions: findOneAndUpdate answers the document itself
 * (no ModifyResult unless `includeResultMetadata`), `$setOnInsert` with `upsert` makes a key only when
 * none exists, and bson's Binary#value() answers the stored bytes.
 */
import { randomBytes } from 'node:crypto';
import { Binary, type Collection, MongoClient, MongoServerError } from 'mongodb';
import { KEY_BYTES, type KeyStore } from './port.js';

interface KeyDoc {
  _id: string;
  key?: Binary;
  destroyedAt: Date | null;
}

export const KEYS_COLLECTION = 'subject_keys';
const DUPLICATE_KEY = 11000;

const bytesOf = (doc: KeyDoc | null): Buffer | null => (doc?.key ? Buffer.from(doc.key.value()) : null);

export class MongoKeyStore implements KeyStore {
  private constructor(
    private readonly client: MongoClient,
    private readonly keys: Collection<KeyDoc>,
  ) {}

  /** `dbName` defaults to the database named in the URL, as the read store's does. */
  static async connect(url: string, dbName?: string): Promise<MongoKeyStore> {
    const client = await new MongoClient(url).connect();
    return new MongoKeyStore(client, client.db(dbName).collection<KeyDoc>(KEYS_COLLECTION));
  }

  async keyFor(subject: string): Promise<Buffer | null> {
    try {
      const doc = await this.keys.findOneAndUpdate(
        { _id: subject },
        { $setOnInsert: { key: new Binary(randomBytes(KEY_BYTES)), destroyedAt: null } },
        { upsert: true, returnDocument: 'after' },
      );
      return bytesOf(doc);
    } catch (err) {
      // Two first uses at once: the other upsert inserted it, and its key is the one kept.
      if (err instanceof MongoServerError && err.code === DUPLICATE_KEY) return this.find(subject);
      throw err;
    }
  }

  async find(subject: string): Promise<Buffer | null> {
    return bytesOf(await this.keys.findOne({ _id: subject }));
  }

  async destroy(subject: string): Promise<boolean> {
    const before = await this.keys.findOneAndUpdate(
      { _id: subject },
      { $unset: { key: '' }, $set: { destroyedAt: new Date() } },
      { upsert: true, returnDocument: 'before' },
    );
    return bytesOf(before) !== null;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
