import { SqliteReadStore } from '../../../src/infra/readstore/sqlite.js';
import { Snapshotter } from '../../../src/projections/time-travel/snapshotter.js';
import { SNAPSHOTS, snapshotDocuments } from '../../../src/projections/time-travel/snapshots.js';
import type { RecordedEvent } from '../../../src/infra/eventstore/port.js';
import { systemEvent } from '../../support/events.js';

/** A batch of `count` events of `type`, the last at `last`. */
const batch = (last: number, count: number, type = 'ChatCompleted'): RecordedEvent[] =>
  Array.from({ length: count }, (_, i) => ({
    ...systemEvent(type),
    streamName: 'test-1',
    revision: i,
    position: last - count + 1 + i,
    createdAt: new Date(),
  }));

describe('the projector takes snapshots', () => {
  it('given 5,000 chats, when a batch reaches SNAPSHOT_EVERY, then the copy is read at once and written behind', async () => {
    const db = SqliteReadStore.open(':memory:');
    const chats = db.collection('chats');
    for (let id = 1; id <= 5000; id++) await chats.insertOne({ _id: String(id), id, workspace: id % 7 });
    const snapshotter = new Snapshotter(db, ['chats'], 10);

    await snapshotter.applied(6, batch(6, 6));
    await snapshotter.applied(12, batch(12, 6)); // the 12th event: due
    // Projection goes on: a chat written now is not in the snapshot taken after position 12.
    await chats.insertOne({ _id: '5001', id: 5001, workspace: 1 });
    expect(await db.collection(SNAPSHOTS).find({})).toEqual([]); // not recorded before it is written

    await snapshotter.written();
    expect((await db.collection(SNAPSHOTS).find({})).map((r) => [r.position, r.collections])).toEqual([
      [12, ['chats']],
    ]);
    expect((await snapshotDocuments(db, 12, 'chats')).length).toBe(5000);
    expect((await snapshotDocuments(db, 12, 'chats', { workspace: 1 })).length).toBe(715);
    await db.close();
  });

  it('counts events across restarts: a new snapshotter goes on from the stored count', async () => {
    const db = SqliteReadStore.open(':memory:');
    await db.collection('users').insertOne({ _id: '1', id: 1 });
    await new Snapshotter(db, ['users'], 10).applied(7, batch(7, 7));
    const restarted = new Snapshotter(db, ['users'], 10);
    await restarted.applied(10, batch(10, 3));
    await restarted.written();
    expect((await db.collection(SNAPSHOTS).find({})).map((r) => r.position)).toEqual([10]);
    await db.close();
  });

  it('given snapshots, when a user is erased, then they are dropped and one is taken anew from the scrubbed models', async () => {
    const db = SqliteReadStore.open(':memory:');
    const users = db.collection('users');
    await users.insertOne({ _id: '1', id: 1, username: 'mallory' });
    const snapshotter = new Snapshotter(db, ['users'], 10);
    await snapshotter.applied(10, batch(10, 10));
    await snapshotter.written();
    expect((await snapshotDocuments(db, 10, 'users')).map((u) => u.username)).toEqual(['mallory']);

    await users.deleteOne({ _id: '1' }); // what the users projection does with UserErased
    await snapshotter.applied(11, batch(11, 1, 'UserErased'));
    await snapshotter.written();

    expect((await db.collection(SNAPSHOTS).find({})).map((r) => r.position)).toEqual([11]);
    expect(await db.listCollections()).not.toContain('snap_10_users');
    expect(await snapshotDocuments(db, 11, 'users')).toEqual([]);
    await db.close();
  });
});
