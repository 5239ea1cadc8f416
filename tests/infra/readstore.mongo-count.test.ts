/**
 * The MongoDB read store's count on a double of the driver's collection (no server runs here): the
 * event log's unfiltered page count must not aggregate the whole collection on every page.
 */
import { MongoReadStore } from '../../src/infra/readstore/mongo.js';

function storeOverDouble() {
  const calls: string[] = [];
  const collection = {
    collectionName: 'event_logs',
    estimatedDocumentCount: async () => {
      calls.push('estimatedDocumentCount');
      return 1_000_000;
    },
    countDocuments: async (filter: object) => {
      calls.push(`countDocuments ${JSON.stringify(filter)}`);
      return 12;
    },
  };
  const db = { collection: () => collection };
  const Ctor = MongoReadStore as unknown as new (client: unknown, db: unknown) => MongoReadStore;
  return { store: new Ctor({}, db), calls };
}

describe('MongoDB read store count', () => {
  it('given an archive (the event log), when counting it unfiltered, then the collection metadata answers', async () => {
    const { store, calls } = storeOverDouble();
    expect(await store.collection('event_logs', { archive: true }).count({})).toBe(1_000_000);
    expect(calls).toEqual(['estimatedDocumentCount']);
  });

  it('given a filter, or a collection that is no archive, then the documents are counted', async () => {
    const { store, calls } = storeOverDouble();
    expect(await store.collection('event_logs', { archive: true }).count({ event: 'login_event' })).toBe(12);
    expect(await store.collection('users').count({})).toBe(12);
    expect(calls).toEqual(['countDocuments {"event":"login_event"}', 'countDocuments {}']);
  });
});
