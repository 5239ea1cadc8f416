import { randomUUID } from 'node:crypto';
import { invocationDecider } from '../../domain/agents/invocation.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import type { CommandContext } from '../shared/context.js';
import { handleCommand } from '../shared/handle.js';
import { agentStreamName } from './run-invocation.js';

/**
 * Closes an invocation still open `overdueAfterMs` after it started (its process stopped before it could
 * close it), deciding on its stream: a closed or not yet overdue invocation gets nothing. Whoever closes
 * it first (its own process, another worker) makes this append conflict; the retry then finds it closed
 * and appends nothing.
 * Answers whether this call appended the close.
 */
export async function closeOverdueInvocation(
  store: EventStore,
  invocationId: string,
  overdueAfterMs: number,
  now: Date,
): Promise<boolean> {
  const id = randomUUID();
  const ctx: CommandContext = {
    actor: null,
    system: true,
    commandId: id,
    idempotencyKey: null,
    correlationId: id,
    causationId: null,
    ip: null,
    userAgent: null,
    now,
  };
  const { events } = await handleCommand(
    store,
    agentStreamName(invocationId),
    invocationDecider,
    { type: 'CloseOverdue', overdueAfterMs, now },
    ctx,
  );
  return events.length > 0;
}
