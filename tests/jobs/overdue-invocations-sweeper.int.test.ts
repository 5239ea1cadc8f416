/**
 * The worker's sweep of agent invocations whose process died: over the embedded event store and read
 * store, projected by the real runner. Invocations are recorded through the decider with the time they
 * would have started at, or run by the real runtime, which is then dropped or races the sweep.
 */
import { randomUUID } from 'node:crypto';
import type { AgentModel, AgentTurnRequest } from '../../src/ai/llm/agent-port.js';
import type { AgentDeps } from '../../src/commands/agents/deps.js';
import { agentStreamName, RunningInvocation } from '../../src/commands/agents/run-invocation.js';
import { handleCommand } from '../../src/commands/shared/handle.js';
import { CALL_CANCELLED, type InvocationCommand, invocationDecider } from '../../src/domain/agents/invocation.js';
import { DEFAULT_WORKSPACE_SETTINGS } from '../../src/domain/workspaces/settings.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { MemoryPubSub } from '../../src/infra/pubsub/memory.js';
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import { overdueInvocationsSweeper } from '../../src/jobs/overdue-invocations-sweeper.js';
import { ALL_PROJECTIONS } from '../../src/projections/all.js';
import { findAgentInvocation } from '../../src/projections/agent-invocations/queries.js';
import { ProjectionProgress } from '../../src/projections/shared/progress.js';
import { ProjectionRunner } from '../../src/projections/shared/runner.js';
import { admin, commandCtx } from '../support/context.js';

const TIMEOUT_MS = 60_000;
const HOUR = 3_600_000;
const workspaceId = 7;

/** A model turn that never ends by itself: it rejects once its signal aborts, as an adapter does. */
const hangingAgent: AgentModel = {
  name: 'hanging',
  turn: ({ signal }: AgentTurnRequest) =>
    new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true })),
};

describe('overdue agent invocations sweeper', () => {
  let store: SqliteEventStore;
  let db: SqliteReadStore;
  let runner: ProjectionRunner;
  let progress: ProjectionProgress;
  const errors: unknown[] = [];

  const sweeper = (caughtUp?: () => Promise<unknown>) =>
    overdueInvocationsSweeper({
      store,
      db,
      invocationTimeoutMs: TIMEOUT_MS,
      caughtUp,
      onError: (err) => errors.push(err),
    });
  const record = async (id: string, command: InvocationCommand) => {
    const { position } = await handleCommand(store, agentStreamName(id), invocationDecider, command, commandCtx());
    await progress.waitFor(position);
  };
  /** An invocation whose AgentInvoked was recorded `ago` ms ago, and nothing since. */
  async function invokedAgo(ago: number) {
    const id = randomUUID();
    const now = new Date(Date.now() - ago);
    await record(id, { type: 'Invoke', invocationId: id, workspaceId, userId: 1, message: 'Hi', clientTools: [], now });
    return id;
  }
  const eventsOf = async (id: string) =>
    (await store.readStream(agentStreamName(id))).map((e) => ({ type: e.type, ...e.data }) as Record<string, unknown>);
  const closesOf = async (id: string) => (await eventsOf(id)).filter((e) => e.type === 'AgentInvocationClosed');
  const settled = async () => expect(await progress.waitFor((await store.readAll({})).at(-1)!.position)).toBe(true);

  beforeEach(async () => {
    errors.length = 0;
    store = SqliteEventStore.open(':memory:');
    db = SqliteReadStore.open(':memory:');
    progress = new ProjectionProgress();
    runner = new ProjectionRunner(store, db, ALL_PROJECTIONS, progress, new MemoryPubSub(), (err) => {
      throw err;
    });
    await runner.start();
  });
  afterEach(async () => {
    await runner.stop();
    await store.close();
    await db.close();
  });

  it('given an invocation left open past its timeout with a call pending, when swept, then it is closed once, the call cancelled', async () => {
    const id = await invokedAgo(2 * HOUR);
    await record(id, {
      type: 'CallTool',
      callId: 'c1',
      name: 'get_weather',
      arguments: { city: 'Oslo' },
      side: 'client',
      step: 1,
      now: new Date(Date.now() - 2 * HOUR + 1000),
    });

    expect(await sweeper().sweep()).toBe(1);

    const events = await eventsOf(id);
    expect(events.map((e) => e.type)).toEqual([
      'AgentInvoked',
      'AgentToolCalled',
      'AgentToolResponded',
      'AgentInvocationClosed',
    ]);
    expect(events[2]).toMatchObject({ callId: 'c1', result: null, error: CALL_CANCELLED });
    expect(events[3]).toMatchObject({ reason: 'timeout', steps: 1 });
    const [stored] = await store.readStream(agentStreamName(id), { fromRevision: 3 });
    expect(stored.metadata).toMatchObject({ actorType: 'system' });
    await settled();
    expect(await findAgentInvocation(db, admin, id)).toMatchObject({ status: 'closed', reason: 'timeout' });
    expect(errors).toEqual([]);
  });

  it('leaves alone an invocation still within its timeout and grace, and one already closed', async () => {
    const fresh = await invokedAgo(TIMEOUT_MS);
    const done = await invokedAgo(2 * HOUR);
    await record(done, {
      type: 'CloseInvocation',
      reason: 'completed',
      steps: 1,
      tokens: null,
      error: null,
      now: new Date(),
    });
    const before = [await eventsOf(fresh), await eventsOf(done)];

    expect(await sweeper().sweep()).toBe(0);

    expect([await eventsOf(fresh), await eventsOf(done)]).toEqual(before);
    expect(errors).toEqual([]);
  });

  it('given a sweep that closed an invocation, when swept again (the read model caught up or not), then nothing is appended', async () => {
    const id = await invokedAgo(2 * HOUR);
    const first = sweeper();
    expect(await first.sweep()).toBe(1);
    // The read model may not show the close yet: the stream decides.
    expect(await first.sweep()).toBe(0);
    await settled();
    expect(await sweeper().sweep()).toBe(0);
    expect(await closesOf(id)).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('given two workers sweeping at once, then the invocation is closed once', async () => {
    const ids = [await invokedAgo(2 * HOUR), await invokedAgo(3 * HOUR)];
    const counts = await Promise.all([sweeper().sweep(), sweeper().sweep()]);
    expect(counts[0] + counts[1]).toBe(2);
    for (const id of ids) expect(await closesOf(id)).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  /** The real runtime running an invocation started two hours ago, its model turn hanging; `logged` gets its errors. */
  async function runningSince(ago: number, logged: unknown[]) {
    const id = randomUUID();
    const deps = {
      store,
      agentLimits: { maxSteps: 4, toolTimeoutMs: TIMEOUT_MS, invocationTimeoutMs: 10 * HOUR },
    } as unknown as AgentDeps;
    const plan = {
      invocationId: id,
      workspaceId,
      userId: 1,
      message: 'Hi',
      clientTools: [],
      settings: DEFAULT_WORKSPACE_SETTINGS,
      systemPrompt: 'Be brief.',
      agent: hangingAgent,
      model: null,
    };
    const ctx = { ...commandCtx(admin), now: new Date(Date.now() - ago) };
    const running = new RunningInvocation(deps, plan, ctx, (err) => logged.push(err));
    await running.start();
    await settled();
    return { id, running };
  }

  it('given its process still running it and closing it at the same moment, then it is closed once, quietly', async () => {
    const logged: unknown[] = [];
    const { id, running } = await runningSince(2 * HOUR, logged);

    const sweeping = sweeper().sweep();
    running.cancel('closed');
    await Promise.all([sweeping, running.done]);

    expect(await closesOf(id)).toHaveLength(1);
    expect(errors).toEqual([]);
    expect(logged).toEqual([]);
  });

  it('given a runtime dropped without closing its invocation, when the worker starts, then it is closed', async () => {
    const logged: unknown[] = [];
    const { id, running } = await runningSince(2 * HOUR, logged);
    expect(await findAgentInvocation(db, admin, id)).toMatchObject({ status: 'running' });

    const job = sweeper();
    await job.start();
    await job.stop();

    expect(await closesOf(id)).toEqual([expect.objectContaining({ reason: 'timeout' })]);
    await settled();
    expect(await findAgentInvocation(db, admin, id)).toMatchObject({ status: 'closed', reason: 'timeout' });
    // Should the stalled process wake and close it too, the closed invocation refuses that, and it logs nothing.
    running.cancel('closed');
    await running.done;
    expect(await closesOf(id)).toHaveLength(1);
    expect(logged).toEqual([]);
  });

  it('given an invocation left open that a restart has yet to project, when the worker starts, then it is closed at start', async () => {
    await runner.stop();
    const id = randomUUID();
    const invokedAt = new Date(Date.now() - 2 * HOUR);
    await handleCommand(
      store,
      agentStreamName(id),
      invocationDecider,
      { type: 'Invoke', invocationId: id, workspaceId, userId: 1, message: 'Hi', clientTools: [], now: invokedAt },
      commandCtx(),
    );
    expect(await findAgentInvocation(db, admin, id)).toBeNull();

    runner = new ProjectionRunner(store, db, ALL_PROJECTIONS, progress, new MemoryPubSub(), (err) => {
      throw err;
    });
    const job = sweeper(async () => progress.waitFor(await store.headPosition()));
    const started = job.start();
    await runner.start();
    await started;
    await job.stop();

    expect(await closesOf(id)).toEqual([expect.objectContaining({ reason: 'timeout' })]);
    expect(errors).toEqual([]);
  });
});
