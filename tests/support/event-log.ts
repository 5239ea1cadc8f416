import { randomUUID } from 'node:crypto';
import type { EventStore, EventToAppend, RecordedEvent } from '../../src/infra/eventstore/port.js';

const metadata = (actorId: string) => ({
  actorId,
  actorType: 'user' as const,
  correlationId: randomUUID(),
  causationId: null,
  ip: '203.0.113.7',
  userAgent: 'test',
  schemaVersion: 1,
});

/** Event `round` of workspace `id`: its creation, then renames and prompt changes the projections apply. */
function workspaceEvent(id: number, round: number): EventToAppend {
  const at = new Date(Date.UTC(2026, 0, 1) + id * 1000 + round).toISOString();
  if (round === 0) {
    return {
      id: randomUUID(),
      type: 'WorkspaceCreated',
      metadata: metadata('1'),
      data: {
        workspaceId: id,
        name: `Workspace ${id}`,
        slug: `workspace-${id}`,
        createdBy: 1,
        at,
        settings: {
          chatMode: 'chat',
          chatProvider: null,
          chatModel: null,
          openaiPrompt: null,
          openaiTemp: 0.7,
          topN: 4,
          similarityThreshold: 0.25,
          chatHistory: 20,
          queryRefusalResponse: null,
        },
      },
    };
  }
  const changes =
    round % 2 ? { name: `Workspace ${id} v${round}` } : { openaiPrompt: `Answer like reviewer ${round} — ünïcödé` };
  return {
    id: randomUUID(),
    type: 'WorkspaceUpdated',
    metadata: metadata('1'),
    data: { workspaceId: id, changes, at },
  };
}

/**
 * Appends `workspaces × eventsEach` workspace events straight through the port (no HTTP), interleaved
 * round by round so consecutive events belong to different streams, as in a live log.
 */
export async function generateWorkspaceLog(store: EventStore, workspaces: number, eventsEach: number): Promise<void> {
  for (let round = 0; round < eventsEach; round++) {
    const appends: Promise<unknown>[] = [];
    for (let id = 1; id <= workspaces; id++) {
      appends.push(
        store.appendToStream(`workspace-${id}`, [workspaceEvent(id, round)], round === 0 ? 'no_stream' : round - 1),
      );
      // A few thousand at a time: the SQLite adapter commits one turn's appends together.
      if (appends.length === 2000) await Promise.all(appends.splice(0));
    }
    await Promise.all(appends);
  }
}

/** Every event of a store, in order. */
export async function allEvents(store: EventStore): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after: out.length ? out[out.length - 1]!.position : 0, maxCount: 10_000 });
    if (page.length === 0) return out;
    out.push(...page);
  }
}
