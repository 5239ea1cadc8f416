/**
 * Replay's switch-over on a read store that behaves as MongoDB does (a rename needs its source to
 * exist) and on one that fails part way: every read model is switched with its checkpoint, or none is.
 */
import { registerUser } from '../../src/commands/identity/register.js';
import { updateUser } from '../../src/commands/identity/admin.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import type { ReadStore } from '../../src/infra/readstore/port.js';
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import { ALL_PROJECTIONS } from '../../src/projections/all.js';
import { rebuildReadModels } from '../../src/projections/replay.js';
import { CHECKPOINTS, PROJECTIONS_CHECKPOINT } from '../../src/projections/shared/runner.js';
import { admin, commandCtx } from '../support/context.js';

const password = 'Correct-Horse-42';
const registration = (name: string) => ({
  username: name,
  email: `${name}@example.com`,
  password,
  password_confirm: password,
});
const LIVE = ALL_PROJECTIONS.flatMap((p) => p.collections);

/** The embedded store, renaming as MongoDB's renameCollection does (NamespaceNotFound without a source), failing the rename `failAt` if given. */
function mongoLike(db: SqliteReadStore, failAt?: (from: string, to: string) => boolean): ReadStore {
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop !== 'rename') return Reflect.get(target, prop, receiver);
      return async (from: string, to: string) => {
        if (!(await target.listCollections()).includes(from))
          throw new Error(`NamespaceNotFound: source namespace ${from} does not exist`);
        if (failAt?.(from, to)) throw new Error(`rename ${from} -> ${to} failed`);
        return target.rename(from, to);
      };
    },
  });
}

async function dump(db: ReadStore) {
  const out: Record<string, unknown[]> = {};
  for (const name of LIVE) out[name] = await db.collection(name).find({}, { sort: { _id: 1 } });
  return out;
}

const checkpoint = async (db: ReadStore) =>
  (await db.collection(CHECKPOINTS).findOne({ _id: PROJECTIONS_CHECKPOINT }))?.position;

describe('replay switch-over', () => {
  let store: SqliteEventStore;
  let db: SqliteReadStore;

  beforeEach(async () => {
    store = SqliteEventStore.open(':memory:');
    db = SqliteReadStore.open(':memory:');
    const ann = await registerUser(store, registration('ann'), commandCtx());
    await registerUser(store, registration('bob'), commandCtx());
    await updateUser(store, ann.userId + 1, { role: 'manager' }, commandCtx(admin));
  });
  afterEach(async () => {
    await store.close();
    await db.close();
  });

  it('given projections that saw no events (settings, invites, embeds), when replayed on a store whose rename needs a source, then every read model is switched and the checkpoint is at the head', async () => {
    const result = await rebuildReadModels(store, mongoLike(db), ALL_PROJECTIONS);
    expect(result.position).toBe(await store.headPosition());
    expect(await checkpoint(db)).toBe(result.position);
    const collections = await db.listCollections();
    for (const name of LIVE) expect(collections).toContain(name);
    expect(collections.filter((c) => c.includes('__'))).toEqual([]);
    expect(await db.collection('users').count({})).toBe(2);
    expect(await db.collection('settings').count({})).toBe(0);
  });

  it('given a rename that fails part way, when replayed, then the old read models keep serving with their checkpoint and a later replay switches them all', async () => {
    // The old read models: a first replay; then a document only they hold, so the test can tell them apart.
    await rebuildReadModels(store, db, ALL_PROJECTIONS);
    await db.collection('users').insertOne({ _id: 'only-in-the-old-models', _pos: 0 });
    await db.collection(CHECKPOINTS).updateOne({ _id: PROJECTIONS_CHECKPOINT }, { $set: { position: 1 } });
    const before = await dump(db);

    const third = LIVE[2]!;
    const failing = mongoLike(db, (from, to) => from === `${third}__rebuild` && to === third);
    await expect(rebuildReadModels(store, failing, ALL_PROJECTIONS)).rejects.toThrow(
      `rename ${third}__rebuild -> ${third} failed`,
    );
    expect(await dump(db)).toEqual(before);
    expect(await checkpoint(db)).toBe(1);
    expect((await db.listCollections()).filter((c) => c.endsWith('__previous'))).toEqual([]);

    const result = await rebuildReadModels(store, mongoLike(db), ALL_PROJECTIONS);
    expect(await db.collection('users').findOne({ _id: 'only-in-the-old-models' })).toBeNull();
    expect(await checkpoint(db)).toBe(result.position);
  });

  it('given the checkpoint write fails after every rename, then the old read models are back', async () => {
    await rebuildReadModels(store, db, ALL_PROJECTIONS);
    await db.collection('users').insertOne({ _id: 'only-in-the-old-models', _pos: 0 });
    const before = await dump(db);
    const broken = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop !== 'collection') return Reflect.get(target, prop, receiver);
        return (name: string, options?: object) => {
          const coll = target.collection(name, options);
          if (name !== CHECKPOINTS) return coll;
          // The switch's checkpoint write (the one that sets a position) fails; the fence before and after works.
          const updateOne = coll.updateOne.bind(coll);
          return Object.assign(Object.create(coll), {
            updateOne: async (filter: object, update: { $set?: object }, options?: object) => {
              if (update.$set && 'position' in update.$set) throw new Error('checkpoint write failed');
              return updateOne(filter, update, options);
            },
          });
        };
      },
    });
    await expect(rebuildReadModels(store, broken, ALL_PROJECTIONS)).rejects.toThrow('checkpoint write failed');
    expect(await dump(db)).toEqual(before);
  });
});
