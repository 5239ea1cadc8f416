/**
 * Copying an event log between stores through the port: what arrives, resuming an interrupted copy,
 * and refusing a target that holds events of its own.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventStore } from '../../src/infra/eventstore/port.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { copyEventLog, ForeignEventsError } from '../../src/migrate/copy-event-log.js';
import { allEvents, generateWorkspaceLog } from '../support/event-log.js';

const dir = mkdtempSync(join(tmpdir(), 'chronicle-migrate-'));
const stores: EventStore[] = [];
const open = () => {
  const store = SqliteEventStore.open(join(dir, `${randomUUID()}.sqlite`));
  stores.push(store);
  return store;
};
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** What a copy must keep of every event; positions are the target's own. */
const kept = (events: Awaited<ReturnType<typeof allEvents>>) =>
  events.map(({ id, type, data, metadata, streamName, revision, createdAt }) => ({
    id,
    type,
    data,
    metadata,
    streamName,
    revision,
    createdAt,
  }));

describe('copyEventLog', () => {
  it('given a log, when copied into an empty store, then the target holds every event in order with its id, stream, revision, data, metadata and time', async () => {
    const source = open();
    const target = open();
    await generateWorkspaceLog(source, 30, 4);

    const result = await copyEventLog(source, target, { batchSize: 7 });

    expect(result).toMatchObject({ resumedAfter: 0, copied: 120 });
    expect(kept(await allEvents(target))).toEqual(kept(await allEvents(source)));
  });

  it('given a copy aborted after its first batch, when run again, then it goes on where the target stopped and writes nothing twice', async () => {
    const source = open();
    const target = open();
    await generateWorkspaceLog(source, 25, 3);
    const abort = new AbortController();

    const first = await copyEventLog(source, target, {
      batchSize: 10,
      signal: abort.signal,
      onProgress: ({ events }) => events > 0 && abort.abort(),
    });
    expect(first.copied).toBe(10);
    expect(await allEvents(target)).toHaveLength(10);

    const second = await copyEventLog(source, target, { batchSize: 10 });
    expect(second).toMatchObject({ resumedAfter: 10, copied: 65 });
    expect(kept(await allEvents(target))).toEqual(kept(await allEvents(source)));

    const third = await copyEventLog(source, target, { batchSize: 10 });
    expect(third).toMatchObject({ resumedAfter: 75, copied: 0 });
    expect(await allEvents(target)).toHaveLength(75);
  });

  it('given a target holding an event the source does not have, when copying, then it is refused and nothing is written', async () => {
    const source = open();
    const target = open();
    await generateWorkspaceLog(source, 5, 2);
    await generateWorkspaceLog(target, 1, 1);
    const before = await allEvents(target);

    await expect(copyEventLog(source, target)).rejects.toThrow(ForeignEventsError);
    expect(await allEvents(target)).toEqual(before);
  });

  it('given a finished copy to which someone appended, when copying again, then it is refused', async () => {
    const source = open();
    const target = open();
    await generateWorkspaceLog(source, 5, 2);
    await copyEventLog(source, target);
    await target.appendToStream(
      'workspace-1',
      [{ ...(await source.readStream('workspace-1'))[0]!, id: randomUUID(), type: 'WorkspaceDeleted' }],
      1,
    );

    await expect(copyEventLog(source, target)).rejects.toThrow(/beyond the end of the source's log/);
  });
});

// EventStoreDB has one log per node: this needs a node no other test wrote to (CI restarts its in-memory node first).
const esdbUrl = process.env.ESDB_URL;
(esdbUrl ? describe : describe.skip)(
  'copyEventLog into EventStoreDB (runs only when ESDB_URL is set, on an empty node)',
  () => {
    it('given a SQLite log, when copied into EventStoreDB and copied again, then it holds the same events once; then a foreign event makes it refused', async () => {
      const { EsdbEventStore } = await import('../../src/infra/eventstore/esdb.js');
      const source = open();
      await generateWorkspaceLog(source, 200, 5);
      const target = EsdbEventStore.connect(esdbUrl!);
      stores.push(target);
      // The server stamps its own times: everything else must arrive as it was.
      const keptButTime = (events: Awaited<ReturnType<typeof allEvents>>) =>
        kept(events).map(({ createdAt: _, ...rest }) => rest);

      expect(await copyEventLog(source, target, { batchSize: 128 })).toMatchObject({ resumedAfter: 0, copied: 1000 });
      expect(keptButTime(await allEvents(target))).toEqual(keptButTime(await allEvents(source)));
      expect(await copyEventLog(source, target, { batchSize: 128 })).toMatchObject({ resumedAfter: 1000, copied: 0 });

      await target.appendToStream(
        'workspace-1',
        [{ ...(await source.readStream('workspace-1'))[0]!, id: randomUUID(), type: 'WorkspaceDeleted' }],
        4,
      );
      await expect(copyEventLog(source, target)).rejects.toThrow(ForeignEventsError);
    }, 120_000);
  },
);
