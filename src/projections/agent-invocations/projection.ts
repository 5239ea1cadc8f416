import type { AgentEvent } from '../../domain/agents/events.js';
import type { WorkspaceDeleted } from '../../domain/workspaces/events.js';
import { applyGuarded, type Projection } from '../shared/projection.js';

export const AGENT_INVOCATIONS = 'agent_invocations';

/**
 * Agent invocations as the audit API shows them: one document each, with its steps (tool calls, tool
 * answers, messages) in the order they were recorded. They leave with their workspace, as chats do.
 */
export const agentInvocationsProjection: Projection<AgentEvent | WorkspaceDeleted> = {
  name: 'agent_invocations',
  collections: [AGENT_INVOCATIONS],
  handles: [
    'AgentInvoked',
    'AgentToolCalled',
    'AgentToolResponded',
    'AgentMessageSent',
    'AgentInvocationClosed',
    'WorkspaceDeleted',
  ],
  async setup(db) {
    const coll = db.collection(AGENT_INVOCATIONS);
    await coll.ensureIndex(['workspace']);
    await coll.ensureIndex(['user']);
    // The worker's sweep of invocations left open looks up the few still running.
    await coll.ensureIndex(['status']);
  },
  async apply(event, db) {
    const coll = db.collection(AGENT_INVOCATIONS);
    const pos = event.position;
    if (event.type === 'WorkspaceDeleted') {
      await coll.deleteMany({ workspace: event.data.workspaceId });
      return;
    }
    const id = event.data.invocationId;
    const step = (fields: Record<string, unknown>) => applyGuarded(coll, id, pos, { $push: { steps: fields } }, false);
    switch (event.type) {
      case 'AgentInvoked': {
        const d = event.data;
        return applyGuarded(coll, id, pos, {
          $set: {
            id,
            workspace: d.workspaceId,
            user: d.userId,
            message: d.message,
            tools: d.clientTools,
            status: 'running',
            reason: null,
            step_count: 0,
            tokens: null,
            error: null,
            created_at: d.at,
            closed_at: null,
            steps: [],
          },
        });
      }
      case 'AgentToolCalled': {
        const d = event.data;
        return step({
          kind: 'tool_call',
          call_id: d.callId,
          name: d.name,
          arguments: d.arguments,
          side: d.side,
          step: d.step,
          at: d.at,
        });
      }
      case 'AgentToolResponded': {
        const d = event.data;
        return step({
          kind: 'tool_response',
          call_id: d.callId,
          name: d.name,
          result: d.result,
          error: d.error,
          truncated: d.truncated,
          at: d.at,
        });
      }
      case 'AgentMessageSent': {
        const d = event.data;
        return step({ kind: 'message', content: d.content, final: d.final, tool: d.tool, step: d.step, at: d.at });
      }
      case 'AgentInvocationClosed': {
        const d = event.data;
        return applyGuarded(
          coll,
          id,
          pos,
          {
            $set: {
              status: 'closed',
              reason: d.reason,
              step_count: d.steps,
              tokens: d.tokens,
              error: d.error,
              closed_at: d.at,
            },
          },
          false,
        );
      }
    }
  },
};
