import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { updateUser } from '../../src/commands/identity/admin.js';
import { registerUser } from '../../src/commands/identity/register.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { MemoryPubSub } from '../../src/infra/pubsub/memory.js';
import type { ReadStore } from '../../src/infra/readstore/port.js';
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import { ALL_PROJECTIONS } from '../../src/projections/all.js';
import { type ProgressNotice, PROJECTIONS_CHANNEL } from '../../src/projections/shared/notices.js';
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
const LONG = 60_000; // longer than any test: nothing is flushed unless the test makes it so

async function dump(db: ReadStore) {
  const out: Record<string, unknown[]> = {};
  for (const name of ALL_PROJECTIONS.flatMap((p) => p.collections))
    out[name] = await db.collection(name).find({}, { sort: { _id: 1 } });
  return out;
}

const checkpointOf = async (db: ReadStore) =>
  ((await db.collection(CHECKPOINTS).findOne({ _id: PROJECTIONS_CHECKPOINT }))?.position as number | undefined) ?? 0;

/** What a process opening the file now (another process, or this one restarted after a kill -9) finds there. */
async function onDisk<T>(file: string, look: (db: SqliteReadStore) => Promise<T>): Promise<T> {
  const view = SqliteReadStore.open(file);
  try {
    return await look(view);
  } finally {
    await view.close();
  }
}

describe('projection runner: announcing batches after a window (one read-store flush for several batches)', () => {
  let dir: string;
  let file: string;
  let store: SqliteEventStore;
  let db: SqliteReadStore;
  let pubsub: MemoryPubSub;
  const cleanup: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chronicle-announce-'));
    file = join(dir, 'readmodels.sqlite');
    store = SqliteEventStore.open(':memory:');
    db = SqliteReadStore.open(file, { writeBehindMs: LONG });
    pubsub = new MemoryPubSub();
  });
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
    await store.close();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const runner = (on: ReadStore, announceAfterMs: number, inProcessNotices = false) => {
    const progress = new ProjectionProgress();
    const r = new ProjectionRunner(
      store,
      on,
      ALL_PROJECTIONS,
      progress,
      pubsub,
      (err) => {
        throw err;
      },
      { announceAfterMs, inProcessNotices },
    );
    cleanup.push(() => r.stop());
    return { r, progress };
  };

  it('given a window, when events are applied, then this process reads them at once, and the store on disk holds them (checkpoint included) before the notice goes out', async () => {
    const { userId, position } = await registerUser(store, registration('ada'), commandCtx());
    const atNotice: { position: number; user: boolean; checkpoint: number }[] = [];
    await pubsub.subscribe(PROJECTIONS_CHANNEL, (m) => {
      const notice = m as ProgressNotice;
      onDisk(file, async (view) => ({
        position: notice.position,
        user: !!(await findUser(view, userId)),
        checkpoint: await checkpointOf(view),
      })).then((seen) => atNotice.push(seen));
    });
    const { r, progress } = runner(db, 300);
    await r.start(); // catches up on the registration in one batch

    expect(await progress.waitFor(position)).toBe(true);
    expect(await findUser(db, userId)).toMatchObject({ id: userId, username: 'ada' });
    expect(atNotice).toEqual([]); // not told yet: the batch is not on disk yet
    expect(await onDisk(file, (view) => findUser(view, userId))).toBeNull();

    while (atNotice.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(atNotice).toEqual([{ position, user: true, checkpoint: position }]);
  });

  it('given notices that stay in this process, when events are applied, then the notice goes out at once and the read store writes them behind on its own', async () => {
    const behindFile = join(dir, 'behind.sqlite');
    const behind = SqliteReadStore.open(behindFile, { writeBehindMs: 300 });
    cleanup.push(() => behind.close());
    const { userId, position } = await registerUser(store, registration('ada'), commandCtx());
    const notices: ProgressNotice[] = [];
    await pubsub.subscribe(PROJECTIONS_CHANNEL, (m) => notices.push(m as ProgressNotice));
    const { r, progress } = runner(behind, LONG, true);
    await r.start();

    expect(await progress.waitFor(position)).toBe(true);
    await new Promise((resolve) => setImmediate(resolve)); // a published notice is delivered after the publisher's turn
    expect(notices.map((n) => n.position)).toEqual([position]);
    expect(await findUser(behind, userId)).toMatchObject({ username: 'ada' }); // what a listener here reads
    expect(await onDisk(behindFile, (view) => findUser(view, userId))).toBeNull();

    let disk: { user: boolean; checkpoint: number } = { user: false, checkpoint: 0 };
    while (!disk.user) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      disk = await onDisk(behindFile, async (view) => ({
        user: !!(await findUser(view, userId)),
        checkpoint: await checkpointOf(view),
      }));
    }
    expect(disk.checkpoint).toBe(position);
  });

  describe('given notices that stay in this process, and a batch holding several writes', () => {
    const note = async (stream: string) =>
      (
        await store.appendToStream(
          stream,
          [
            {
              id: randomUUID(),
              type: 'SomethingNoted',
              data: {},
              metadata: {
                actorId: null,
                actorType: 'system',
                correlationId: randomUUID(),
                causationId: null,
                ip: null,
                userAgent: null,
                schemaVersion: 1,
              },
            },
          ],
          'any',
        )
      ).position;
    /** What happened, in order: answers (a request's wait for its write ended), notices, and a listener's work on each. */
    const watch = async () => {
      const seen: string[] = [];
      await pubsub.subscribe(PROJECTIONS_CHANNEL, async (m) => {
        const positions = (m as ProgressNotice).events.map((e) => e.position).join(',');
        seen.push(`notice ${positions}`);
        for (let i = 0; i < 50; i++) await Promise.resolve(); // a subscription's hops from notice to socket
        seen.push(`told ${positions}`);
      });
      return seen;
    };

    it('when requests wait for them and a subscription follows the changes, then each write is answered and told to listeners, who finish with it, before the next write is answered (log order, one write per turn)', async () => {
      const [a, b, c] = [await note('thing-1'), await note('thing-2'), await note('thing-1')];
      const { r, progress } = runner(db, LONG, true);
      const seen = await watch();
      const unfollow = progress.follow(); // a live subscription
      cleanup.push(async () => unfollow());
      for (const p of [a, c]) void progress.waitFor(p).then(() => seen.push(`answer ${p}`));
      await r.start(); // catches up on the three in one batch
      await progress.waitFor(c);
      await new Promise((resolve) => setImmediate(resolve));

      // Nobody waits for b: it goes out with the write after it.
      expect(seen).toEqual([
        `answer ${a}`,
        `notice ${a}`,
        `told ${a}`,
        `answer ${c}`,
        `notice ${b},${c}`,
        `told ${b},${c}`,
      ]);
    });

    it('when nobody waits for them, then the batch is told in one notice, followed or not', async () => {
      const [a, b] = [await note('thing-1'), await note('thing-2')];
      const { r, progress } = runner(db, LONG, true);
      const seen = await watch();
      const unfollow = progress.follow();
      cleanup.push(async () => unfollow());
      await r.start();
      await progress.waitFor(b);
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toEqual([`notice ${a},${b}`, `told ${a},${b}`]);
    });

    it('when requests wait for them but nothing follows the changes (no live subscription), then the batch is answered and told at once', async () => {
      const [a, b] = [await note('thing-1'), await note('thing-2')];
      const { r, progress } = runner(db, LONG, true);
      const seen = await watch();
      const unfollow = progress.follow();
      unfollow(); // a subscription came and went
      for (const p of [a, b]) void progress.waitFor(p).then(() => seen.push(`answer ${p}`));
      await r.start();
      await progress.waitFor(b);
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toEqual([`answer ${a}`, `answer ${b}`, `notice ${a},${b}`, `told ${a},${b}`]);
    });
  });

  it('given batches applied and read but never flushed, when the process dies, then a runner restarted on the file re-applies them from the checkpoint there and reaches the same read models', async () => {
    const { r, progress } = runner(db, LONG);
    await r.start();
    const { userId: first } = await registerUser(store, registration('ada'), commandCtx());
    await progress.waitFor(await store.headPosition());
    await db.flush(); // ada's batch is on disk ...
    const flushedAt = await onDisk(file, checkpointOf);
    const { userId: second } = await registerUser(store, registration('bob'), commandCtx()); // ... bob's and the update are not
    await updateUser(store, first, { daily_message_limit: 7 }, commandCtx(admin));
    const head = await store.headPosition();
    expect(await progress.waitFor(head)).toBe(true);
    expect(await findUser(db, second)).toMatchObject({ username: 'bob' });
    expect(flushedAt).toBeGreaterThan(0);
    expect(flushedAt).toBeLessThan(head);

    // What a restart after a kill -9 now would find: the file as the last flush left it.
    const restarted = SqliteReadStore.open(file);
    cleanup.push(() => restarted.close());
    expect(await checkpointOf(restarted)).toBe(flushedAt);
    expect(await findUser(restarted, second)).toBeNull();
    const again = runner(restarted, 0);
    await again.r.start();
    expect(await again.progress.waitFor(head)).toBe(true);
    expect(await dump(restarted)).toEqual(await dump(db));
    expect(await findUser(restarted, first)).toMatchObject({ daily_message_limit: 7 });
  });
});
