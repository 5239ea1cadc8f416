import { closeOverdueInvocation } from '../commands/agents/close-overdue.js';
import { CLOSE_GRACE_MS } from '../domain/agents/invocation.js';
import type { EventStore } from '../infra/eventstore/port.js';
import type { ReadStore } from '../infra/readstore/port.js';
import { runningInvocationsInvokedBefore } from '../projections/agent-invocations/queries.js';

/** Once a minute: an invocation left open is closed within about its timeout, its grace and this. */
export const SWEEP_INTERVAL_MS = 60_000;
/** Invocations looked at per sweep; the rest wait for the next one. */
const SWEEP_BATCH = 500;

export interface OverdueInvocationsSweeperOptions {
  store: EventStore;
  db: ReadStore;
  /** AGENT_INVOCATION_TIMEOUT_MS: no process runs an invocation longer. */
  invocationTimeoutMs: number;
  /**
   * Resolves once the read model has taken in the log as it stood at start (or has waited long enough):
   * the first sweep waits for it, so invocations a restart has yet to project are closed at start too.
   */
  caughtUp?: () => Promise<unknown>;
  onError: (err: unknown, what: string) => void;
}

/**
 * Closes the agent invocations a process left open when it crashed or was killed: open past their
 * timeout and a grace for their own close to be recorded, they can run nowhere. The read model names the
 * candidates (it may lag or be rebuilt, so it keeps no checkpoint); the invocation's stream decides.
 */
export function overdueInvocationsSweeper(options: OverdueInvocationsSweeperOptions) {
  const { store, db, onError } = options;
  const overdueAfterMs = options.invocationTimeoutMs + CLOSE_GRACE_MS;
  let timer: NodeJS.Timeout | null = null;
  let sweeping: Promise<number> | null = null;

  /** One pass; answers how many invocations it closed. */
  async function sweepOnce(): Promise<number> {
    const now = new Date();
    const candidates = await runningInvocationsInvokedBefore(db, new Date(now.getTime() - overdueAfterMs), SWEEP_BATCH);
    let closed = 0;
    for (const { id } of candidates) {
      try {
        if (await closeOverdueInvocation(store, id, overdueAfterMs, now)) closed++;
      } catch (err) {
        onError(err, `closing overdue agent invocation ${id} failed; retrying at the next sweep`);
      }
    }
    return closed;
  }

  /** A pass, or the one under way: two never run at once in one process. */
  function sweep(): Promise<number> {
    sweeping ??= sweepOnce().finally(() => (sweeping = null));
    return sweeping;
  }

  /** A pass whose failure is logged, not thrown: the next one retries. */
  const tick = () =>
    sweep().then(
      () => undefined,
      (err) => onError(err, 'sweeping overdue agent invocations failed; retrying'),
    );

  return {
    sweep,
    /**
     * Sweeps once the read model has caught up, then every SWEEP_INTERVAL_MS. Answers when that first
     * sweep is done (or skipped by a stop); the start of the process need not wait for it.
     */
    start(): Promise<void> {
      timer = setInterval(tick, SWEEP_INTERVAL_MS);
      timer.unref();
      return Promise.resolve(options.caughtUp?.())
        .catch(() => {})
        .then(() => (timer === null ? undefined : tick()));
    },
    /** Stops sweeping and waits for a pass under way (not for the first one's wait for the read model). */
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await sweeping?.catch(() => {});
    },
  };
}
