/**
 * A past read rebuilt from a snapshot, replaying only its projections' relevant events, holds what a
 * full replay of the log up to the same position holds, at every position of a log of two workspaces'
 * chats (snapshots every few events, so most positions lie between two).
 */
import { SqliteEventStore } from '../../../src/infra/eventstore/sqlite.js';
import { MemoryReadStore } from '../../../src/infra/readstore/memory.js';
import { SqliteReadStore } from '../../../src/infra/readstore/sqlite.js';
import { projectionsFor } from '../../../src/projections/all.js';
import { projectionApplier } from '../../../src/projections/shared/runner.js';
import { pastReadStore } from '../../../src/projections/time-travel/past-read-store.js';
import { pastChatsOf, SNAPSHOT_COLLECTIONS } from '../../../src/projections/time-travel/reads.js';
import { takeSnapshot } from '../../../src/projections/time-travel/snapshots.js';
import { systemEvent } from '../../support/events.js';

const at = '2025-01-01T00:00:00.000Z';

it('given chats of two workspaces and a snapshot every 4 events, then each past chats read (workspace or thread) equals a full replay', async () => {
  const store = SqliteEventStore.open(':memory:');
  const db = SqliteReadStore.open(':memory:');
  for (const workspaceId of [1, 2])
    await store.appendToStream(
      `workspace-${workspaceId}`,
      [
        systemEvent('WorkspaceCreated', {
          workspaceId,
          name: `W${workspaceId}`,
          slug: `w${workspaceId}`,
          settings: {},
          createdBy: 1,
          at,
        }),
      ],
      'no_stream',
    );
  // Chats interleaved across workspaces; each answer comes a few events after its question.
  const asked: number[] = [];
  for (let chatId = 1; chatId <= 12; chatId++) {
    const workspaceId = 1 + (chatId % 2);
    await store.appendToStream(
      `chat-${chatId}`,
      [
        systemEvent('ChatRequested', {
          chatId,
          workspaceId,
          threadId: chatId % 3 === 0 ? null : chatId % 3, // the default conversation, or thread 1 or 2
          userId: 1,
          prompt: `q${chatId}`,
          mode: 'chat',
          at,
        }),
      ],
      'no_stream',
    );
    asked.push(chatId);
    if (asked.length === 3) {
      const answered = asked.shift()!;
      await store.appendToStream(
        `chat-${answered}`,
        [
          systemEvent('ChatCompleted', {
            chatId: answered,
            workspaceId: 1 + (answered % 2),
            response: `a${answered}`,
            sources: [],
            at,
          }),
        ],
        0,
      );
    }
  }
  // Feedback on early chats long after they were answered (after several snapshots).
  for (const chatId of [1, 2])
    await store.appendToStream(
      `chat-${chatId}`,
      [systemEvent('ChatFeedbackGiven', { chatId, workspaceId: 1 + (chatId % 2), feedback: true, comment: null, at })],
      1,
    );
  // Projected event by event, as a projector would, with a snapshot after every fourth.
  const projections = projectionsFor('event-store');
  for (const p of projections) await p.setup?.(db);
  const apply = projectionApplier(projections);
  for (const event of await store.readAll()) {
    await apply([event], db);
    if (event.position % 4 === 0) await takeSnapshot(db, SNAPSHOT_COLLECTIONS, event.position);
  }
  const head = await store.headPosition();
  const chatsOf = async (
    s: { collection(n: string): { find(f: object, o: object): Promise<unknown[]> } },
    filter: Record<string, unknown>,
  ) => (await s.collection('chats').find(filter, { sort: { id: 1 } })).map(({ _pos, ...c }: any) => c);

  let fromSnapshot = 0;
  for (let position = 1; position <= head; position++) {
    const full = new MemoryReadStore();
    await projectionApplier(pastChatsOf(1).projections)(await store.readAll({ upTo: position }), full);
    for (const w of [1, 2]) {
      // The workspace's history, then each thread's (null: the default conversation), read as of `position`.
      for (const thread of [undefined, null, 1, 2]) {
        const past = await pastReadStore(
          { store, db, scratch: () => new MemoryReadStore() },
          pastChatsOf(w, thread),
          position,
          (s) => (fromSnapshot += s.snapshot ? 1 : 0),
        );
        const filter = thread === undefined ? { workspace: w } : { workspace: w, thread };
        expect({ position, w, thread, chats: await chatsOf(past, filter) }).toEqual({
          position,
          w,
          thread,
          chats: await chatsOf(full, filter),
        });
      }
    }
  }
  expect(fromSnapshot).toBeGreaterThan(head); // most of them started from a snapshot
  await db.close();
  await store.close();
});
