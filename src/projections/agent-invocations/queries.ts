import type { Actor } from '../../domain/shared/actor.js';
import type { Filter, FindOptions, ReadStore } from '../../infra/readstore/port.js';
import { AGENT_INVOCATIONS } from './projection.js';

export type AgentStepView =
  | {
      kind: 'tool_call';
      call_id: string;
      name: string;
      arguments: Record<string, unknown>;
      side: 'server' | 'client';
      step: number;
      at: string;
    }
  | {
      kind: 'tool_response';
      call_id: string;
      name: string;
      result: string | null;
      error: string | null;
      truncated: boolean;
      at: string;
    }
  | { kind: 'message'; content: string; final: boolean; tool: string | null; step: number; at: string };

export interface AgentInvocationView {
  _id: string;
  id: string;
  workspace: number;
  user: number;
  message: string;
  tools: { name: string; description: string; parameters: Record<string, unknown> }[];
  status: 'running' | 'closed';
  reason: string | null;
  step_count: number;
  tokens: { input: number; output: number } | null;
  error: string | null;
  created_at: string;
  closed_at: string | null;
  steps: AgentStepView[];
}

/** Members see their own invocations; admins see everyone's. */
const visibleTo = (actor: Actor): Filter => (actor.role === 'admin' ? {} : { user: actor.userId });

export async function listAgentInvocations(db: ReadStore, actor: Actor, filter: Filter, options: FindOptions) {
  const coll = db.collection<AgentInvocationView>(AGENT_INVOCATIONS);
  const scoped = { $and: [visibleTo(actor), filter] };
  const [results, count] = await Promise.all([
    coll.find(scoped, { sort: { created_at: 1, id: 1 }, ...options }),
    coll.count(scoped),
  ]);
  return { results, count };
}

export const findAgentInvocation = (db: ReadStore, actor: Actor, id: string) =>
  db.collection<AgentInvocationView>(AGENT_INVOCATIONS).findOne({ $and: [visibleTo(actor), { _id: id }] });

/** An invocation as a list shows it: everything but its steps. */
export function publicAgentInvocation(v: AgentInvocationView) {
  return {
    id: v.id,
    workspace: v.workspace,
    user: v.user,
    message: v.message,
    tools: v.tools,
    status: v.status,
    reason: v.reason,
    step_count: v.step_count,
    tokens: v.tokens,
    error: v.error,
    created_at: v.created_at,
    closed_at: v.closed_at,
  };
}

/** An invocation with its steps in the order they happened. */
export const agentInvocationWithSteps = (v: AgentInvocationView) => ({ ...publicAgentInvocation(v), steps: v.steps });

/** Invocations the read model still shows running that were invoked before `before`, oldest first. */
export const runningInvocationsInvokedBefore = (db: ReadStore, before: Date, limit: number) =>
  db
    .collection<AgentInvocationView>(AGENT_INVOCATIONS)
    .find({ status: 'running', created_at: { $lt: before.toISOString() } }, { sort: { created_at: 1 }, limit });
