import { MongoReadStore } from '../../src/infra/readstore/mongo.js';
import { describeReadStoreContract } from './readstore.contract.js';

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
