import { SqliteReadStore } from '../../../src/infra/readstore/sqlite.js';
import { snapshotAtOrBefore, snapshotDocuments, takeSnapshot } from '../../../src/projections/time-travel/snapshots.js';

describe('snapshots on the embedded read store', () => {
  it('given read models, when a snapshot is taken, then its copies answer as the models stood', async () => {
    const db = SqliteReadStore.open(':memory:');
    await db.collection('chats').insertOne({ _id: '1', id: 1, workspace: 7, prompt: 'a' });
    await db.collection('chats').insertOne({ _id: '2', id: 2, workspace: 8, prompt: 'b' });
    await db.collection('users').insertOne({ _id: '1', id: 1, username: 'ann' });
    await takeSnapshot(db, ['chats', 'users'], 40);
    await db.collection('chats').deleteMany({});
    expect(await snapshotAtOrBefore(db, 39, ['chats'])).toBeNull();
    expect((await snapshotAtOrBefore(db, 40, ['chats']))?.position).toBe(40);
    expect(await snapshotAtOrBefore(db, 99, ['chats', 'threads'])).toBeNull();
    expect((await snapshotDocuments(db, 40, 'chats', { workspace: 8 })).map((d) => d.prompt)).toEqual(['b']);
    expect((await snapshotDocuments(db, 40, 'users')).map((d) => d.username)).toEqual(['ann']);
    await db.close();
  });
});
