import { updateUser } from '../../src/commands/identity/admin.js';
import { changePassword } from '../../src/commands/identity/passwords.js';
import { registerUser } from '../../src/commands/identity/register.js';
import { updateSetting } from '../../src/commands/system/settings.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { MemoryPubSub } from '../../src/infra/pubsub/memory.js';
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import type { ReadStore } from '../../src/infra/readstore/port.js';
import { ALL_PROJECTIONS } from '../../src/projections/all.js';
import { rebuildReadModels } from '../../src/projections/replay.js';
import { PROJECTIONS_CHANNEL } from '../../src/projections/shared/notices.js';
import { ProjectionProgress } from '../../src/projections/shared/progress.js';
import { CHECKPOINTS, PROJECTIONS_CHECKPOINT, ProjectionRunner } from '../../src/projections/shared/runner.js';
import { findUser } from '../../src/projections/users/queries.js';
import { admin, commandCtx } from '../support/context.js';

const password = 'Correct-Horse-42';
const registration = (name: string) => ({
  username: name,
  email: `${name}@example.com`,
  password,
  password_confirm: password,
});

async function dump(db: ReadStore) {
  const out: Record<string, unknown[]> = {};
  for (const name of ALL_PROJECTIONS.flatMap((p) => p.collections))
    out[name] = await db.collection(name).find({}, { sort: { _id: 1 } });
  return out;
}

describe('read side', () => {
  let store: SqliteEventStore;
  let db: SqliteReadStore;
  let pubsub: MemoryPubSub;
  const started: ProjectionRunner[] = [];

  const runner = (progress = new ProjectionProgress()) => {
    const r = new ProjectionRunner(store, db, ALL_PROJECTIONS, progress, pubsub, (err) => {
      throw err;
    });
    started.push(r);
    return { r, progress };
  };

  beforeEach(async () => {
    store = SqliteEventStore.open(':memory:');
    db = SqliteReadStore.open(':memory:');
    pubsub = new MemoryPubSub();
  });
  afterEach(async () => {
    for (const r of started.splice(0)) await r.stop();
    await store.close();
    await db.close();
  });

  it('given a running projector, when a command is appended, then waitFor its position sees it in the read model and subscribers are told', async () => {
    const notices: unknown[] = [];
    await pubsub.subscribe(PROJECTIONS_CHANNEL, (m) => notices.push(m));
    const { r, progress } = runner();
    await r.start();
    const { userId, position } = await registerUser(store, registration('ada'), commandCtx());
    expect(await progress.waitFor(position)).toBe(true);
    expect(await findUser(db, userId)).toMatchObject({ id: userId, username: 'ada', role: 'admin', token_version: 0 });
    expect(notices).toContainEqual(expect.objectContaining({ position: expect.any(Number) }));
    expect(
      (await db.collection(CHECKPOINTS).findOne({ _id: PROJECTIONS_CHECKPOINT }))?.position,
    ).toBeGreaterThanOrEqual(position);
  });

  it('given events applied once, when the checkpoint is lost and they are delivered again, then the read model does not change', async () => {
    const { userId } = await registerUser(
      store,
      registration('ada'),
      commandCtx({ type: 'user', userId: 1, role: 'admin' }),
    );
    await changePassword(
      store,
      { old_password: password, new_password: 'Another-Horse-43', new_password_confirm: 'Another-Horse-43' },
      commandCtx({ type: 'user', userId, role: 'admin' }),
    );
    const first = runner();
    await first.r.start();
    expect(await first.progress.waitFor(await store.headPosition())).toBe(true);
    await first.r.stop();
    const before = await dump(db);
    expect((await findUser(db, userId))?.token_version).toBe(1);

    await db.collection(CHECKPOINTS).deleteMany({}); // as after a crash before the checkpoint was written
    const second = runner();
    await second.r.start();
    expect(await second.progress.waitFor(await store.headPosition())).toBe(true);
    expect(await dump(db)).toEqual(before);
  });

  it('given a history of commands, when replayed, then the rebuilt read models are identical and the checkpoint is at the head', async () => {
    const { r, progress } = runner();
    await r.start();
    const ids: number[] = [];
    for (const name of ['ann', 'bob', 'cyd', 'dee'])
      ids.push((await registerUser(store, registration(name), commandCtx())).userId);
    await updateUser(store, ids[1], { role: 'manager', daily_message_limit: 9 }, commandCtx(admin));
    await updateUser(store, ids[2], { suspended: true }, commandCtx(admin));
    await updateSetting(store, 'custom_app_name', { value: 'Replayed' }, commandCtx(admin));
    const head = await store.headPosition();
    expect(await progress.waitFor(head)).toBe(true);
    await r.stop();
    const before = await dump(db);

    const seen: number[] = [];
    const result = await rebuildReadModels(store, db, ALL_PROJECTIONS, (p) => seen.push(p));
    expect(result.position).toBe(head);
    expect(seen.at(-1)).toBe(head);
    expect(await dump(db)).toEqual(before);
    expect((await db.collection(CHECKPOINTS).findOne({ _id: PROJECTIONS_CHECKPOINT }))?.position).toBe(head);
    expect(await db.listCollections()).not.toContainEqual(expect.stringContaining('__rebuild'));
  });
});
