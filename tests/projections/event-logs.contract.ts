import { randomUUID } from 'node:crypto';
import type { EventMetadata, EventStore, RecordedEvent } from '../../src/infra/eventstore/port.js';
import type { Filter } from '../../src/infra/readstore/port.js';
import { eventLogEntry, type EventLogView } from '../../src/domain/event-logs/entry.js';
import type { EventLogReader } from '../../src/infra/event-logs/port.js';

const BOOKKEEPING = /^(sequence|username|email|bootstrap|idempotency|slug|invitecode|apikeyhash|chatquota|embedquota)-/;
const tick = () => new Promise((r) => setTimeout(r, 3));

const meta = (actorId: string | null, actorType: EventMetadata['actorType'] = 'user'): EventMetadata => ({
  actorId,
  actorType,
  correlationId: randomUUID(),
  causationId: null,
  ip: '10.0.0.9',
  userAgent: 'contract',
  schemaVersion: 1,
});

/** A history with every kind of entry the filters tell apart, appended with a few ms between batches. */
async function seed(store: EventStore): Promise<RecordedEvent[]> {
  const append = (stream: string, type: string, data: unknown, metadata: EventMetadata) =>
    store.appendToStream(stream, [{ id: randomUUID(), type, data, metadata }], 'any');
  for (let round = 0; round < 3; round++) {
    await append('sequence-user', 'IdAllocated', { id: round + 1 }, meta(null, 'system'));
    await append(`username-u${round}`, 'Reserved', { owner: round + 1 }, meta(null, 'system'));
    await append(
      `user-${round + 1}`,
      'UserRegistered',
      { userId: round + 1, username: `u${round}`, passwordHash: '$argon2id$secret' },
      meta(null, 'system'),
    );
    await tick();
    await append(
      `user-${round + 1}`,
      'UserLoggedIn',
      { userId: round + 1, at: new Date().toISOString() },
      meta(String(round + 1)),
    );
    await append(
      'workspace-7',
      round === 0 ? 'WorkspaceCreated' : 'WorkspaceUpdated',
      { workspaceId: 7, name: `w${round}`, settings: { openaiPrompt: 'p' } },
      meta('1'),
    );
    await append(`thread-${round}`, 'ThreadCreated', { threadId: round, workspaceId: 7 }, meta(String(round + 1)));
    await append(`chat-${round}`, 'ChatCompleted', { chatId: round, response: 'r' }, meta(`key-${round}`, 'api_key'));
    await append(`embed-${randomUUID()}`, 'EmbedChatCompleted', { sessionId: 's' }, meta(null, 'embed'));
    await tick();
  }
  return store.readAll({ after: 0 });
}

export interface ReaderFixture {
  store: EventStore;
  reader: EventLogReader;
  /** Brings the reader up to date with what was appended (a projection's catch-up), if it needs to. */
  settle?(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The event-log reader port: every adapter answers the same entries for the same history, the
 * entries the projection's mapping gives, bookkeeping left out, newest first, filtered as the
 * REST route and GraphQL filter.
 */
export function describeEventLogReaderContract(name: string, open: () => Promise<ReaderFixture>) {
  describe(`EventLogReader contract: ${name}`, () => {
    let fx: ReaderFixture;
    let entries: EventLogView[]; // what the log must hold, newest first
    let times: string[];

    beforeAll(async () => {
      fx = await open();
      const events = await seed(fx.store);
      await fx.settle?.();
      entries = events
        .filter((e) => !BOOKKEEPING.test(e.streamName))
        .map(eventLogEntry)
        .reverse();
      times = [...new Set(entries.map((e) => e.occurred_at))].sort();
    });
    afterAll(() => fx.close());

    const expectList = async (
      filter: Filter,
      keep: (e: EventLogView) => boolean,
      window: { limit?: number; skip?: number } = {},
    ) => {
      const all = entries.filter(keep);
      const skip = window.skip ?? 0;
      const page = all.slice(skip, window.limit ? skip + window.limit : undefined);
      const got = await fx.reader.list(filter, window);
      expect({ count: got.count, ids: got.results.map((e) => e.id) }).toEqual({
        count: all.length,
        ids: page.map((e) => e.id),
      });
      expect(got.results).toEqual(page);
      return got;
    };

    it('given no filter, then every domain event, newest first, as the mapping has it; no bookkeeping event', async () => {
      const { results } = await expectList({}, () => true);
      expect(results.length).toBe(18);
      expect(results.map((e) => e.event)).not.toContain('id_allocated');
      expect(JSON.stringify(results)).not.toContain('argon2');
    });

    it('then the names, users and metadata are the ones the API shows', async () => {
      const { results } = await fx.reader.list({}, {});
      const login = results.find((e) => e.type === 'UserLoggedIn')!;
      expect(login).toMatchObject({
        event: 'login_event',
        user_id: expect.any(Number),
        metadata: expect.objectContaining({ ip: '10.0.0.9', user_agent: 'contract' }),
      });
      expect(results.find((e) => e.type === 'ChatCompleted')).toMatchObject({ event: 'sent_chat', user_id: null });
      expect(results.find((e) => e.type === 'WorkspaceCreated')!.metadata).toMatchObject({
        workspace_id: 7,
        settings: { openai_prompt: 'p' },
      });
    });

    it('given a window, then that page of the newest-first list and the count of all', async () => {
      await expectList({}, () => true, { limit: 4 });
      await expectList({}, () => true, { limit: 5, skip: 7 });
      await expectList({}, () => true, { limit: 5, skip: 100 });
    });

    it('given event, then the entries of that name (every type that has it)', async () => {
      await expectList({ event: 'sent_chat' }, (e) => e.event === 'sent_chat');
      await expectList({ event: { $eq: 'login_event' } }, (e) => e.event === 'login_event');
      await expectList({ event: { $in: ['user_created', 'workspace_updated'] } }, (e) =>
        ['user_created', 'workspace_updated'].includes(e.event),
      );
      await expectList({ event: { $regex: /THREAD/i } }, (e) => /thread/.test(e.event));
      await expectList({ event: 'no_such_event' }, () => false);
    });

    it('given type, then the entries of that type', async () => {
      await expectList({ type: { $eq: 'EmbedChatCompleted' } }, (e) => e.type === 'EmbedChatCompleted');
      await expectList({ type: { $in: ['UserRegistered', 'Nope'] } }, (e) => e.type === 'UserRegistered');
    });

    it("given user_id, then only that user's entries; lookups compare numbers", async () => {
      await expectList({ user_id: 2 }, (e) => e.user_id === 2);
      await expectList({ user_id: { $eq: 1 } }, (e) => e.user_id === 1);
      await expectList({ user_id: { $in: [2, 3] } }, (e) => e.user_id === 2 || e.user_id === 3);
      await expectList({ user_id: { $gte: 2 } }, (e) => e.user_id !== null && e.user_id >= 2);
      await expectList({ user_id: { $gt: 1, $lt: 3 } }, (e) => e.user_id === 2);
      await expectList({ user_id: Number.NaN }, () => false);
    });

    it('given occurred_at bounds (from_date/to_date), then the entries between them', async () => {
      const [lo, hi] = [times[1], times[times.length - 2]];
      await expectList({ occurred_at: { $gte: lo, $lte: hi } }, (e) => e.occurred_at >= lo && e.occurred_at <= hi);
      await expectList({ occurred_at: { $gt: lo } }, (e) => e.occurred_at > lo);
      await expectList({ occurred_at: { $lt: '2000-01-01T00:00:00.000Z' } }, () => false);
    });

    it('given id lookups (the global position), then those entries', async () => {
      const mid = entries[9].id;
      await expectList({ id: { $gt: mid } }, (e) => e.id > mid);
      await expectList({ id: { $eq: mid } }, (e) => e.id === mid);
      await expectList({ id: { $in: [mid, entries[0].id, 99999] } }, (e) => e.id === mid || e.id === entries[0].id);
    });

    it('given __icontains lookups as the REST filters build them, then case-insensitive substrings of strings, and no number', async () => {
      await expectList({ event: { $regex: /CHAT/i } }, (e) => e.event.includes('chat'));
      await expectList({ occurred_at: { $regex: new RegExp(times[0].slice(0, 13).replace('T', 't'), 'i') } }, (e) =>
        e.occurred_at.includes(times[0].slice(0, 13)),
      );
      await expectList({ user_id: { $regex: /1/i } }, () => false);
    });

    it('given several fields, then all apply', async () => {
      await expectList(
        { event: 'login_event', user_id: 3, occurred_at: { $gte: times[0] } },
        (e) => e.event === 'login_event' && e.user_id === 3,
      );
    });

    it('given an id, then find answers that entry; a bookkeeping event or an unknown id is null', async () => {
      expect(await fx.reader.find(entries[3].id)).toEqual(entries[3]);
      const events = await fx.store.readAll({ after: 0 });
      const bookkeeping = events.find((e) => BOOKKEEPING.test(e.streamName))!;
      expect(await fx.reader.find(bookkeeping.position)).toBeNull();
      expect(await fx.reader.find(987654)).toBeNull();
    });
  });
}
