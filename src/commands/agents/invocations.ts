import { randomUUID } from 'node:crypto';
import { DEFAULT_SYSTEM_PROMPT } from '../../ai/prompt/assemble.js';
import { LlmError } from '../../ai/llm/port.js';
import { clientToolDeclarations } from '../../domain/agents/tools.js';
import { conflict, invalid, notFound } from '../../domain/shared/errors.js';
import { unsafeTextReason } from '../../domain/shared/text.js';
import { useChatQuota } from '../chats/quota.js';
import { type Actor, type CommandContext, requireActor } from '../shared/context.js';
import { scopedId } from '../shared/event-ids.js';
import { parseInput } from '../shared/validation.js';
import { currentSetting } from '../system/settings.js';
import { loadWorkspace } from '../workspaces/workspaces.js';
import type { AgentDeps } from './deps.js';
import { invokeAgentInput, toolResponseInput } from './inputs.js';
import { type FrameListener, RunningInvocation, agentStreamName } from './run-invocation.js';

const AGENT_GUIDANCE =
  "You can call tools. search_documents, list_documents and read_document read this workspace's documents; " +
  'use them to ground your answer. Answer in plain text once you have what you need.';

const NO_SUCH_INVOCATION = 'No running invocation of yours has this id.';

/** A client's answer to a tool_call, checked: what the running invocation is handed. */
export interface ToolResponse {
  invocationId: string;
  callId: string;
  answer: { result: string | null; error: string | null };
}

/** Checks a tool_response's fields and its result's text (bad input is refused before anything looks it up). */
export function checkToolResponse(rawInput: unknown): ToolResponse {
  const input = parseInput(toolResponseInput, rawInput);
  const result =
    input.error !== undefined ? null : typeof input.result === 'string' ? input.result : JSON.stringify(input.result);
  const unsafe = result === null ? null : unsafeTextReason(result);
  if (unsafe) throw invalid(unsafe, { result: [unsafe] });
  return { invocationId: input.invocation_id, callId: input.call_id, answer: { result, error: input.error ?? null } };
}

/** The refusal for an invocation that is not the actor's or not running (here, or anywhere when routed). */
export const noSuchInvocation = () => invalid(NO_SUCH_INVOCATION, { invocation_id: [NO_SUCH_INVOCATION] });

/**
 * The agent invocations running in this process, whichever transport started them: the Agent WebSocket
 * and GraphQL start, answer and close them here, and listen to their frames.
 */
export class AgentInvocations {
  private readonly running = new Map<string, RunningInvocation>();

  constructor(
    private readonly deps: AgentDeps,
    private readonly log: (err: unknown, what: string) => void,
  ) {}

  /**
   * Checks the task (input, client tools, workspace, provider, daily limit), records AgentInvoked and
   * starts the loop; `listener` receives every frame from invocation_started on. Anything refused
   * throws before an event is written (the daily limit's count excepted, as for chats).
   */
  async invoke(
    rawInput: unknown,
    workspaceSlug: string,
    ctx: CommandContext,
    listener: FrameListener,
  ): Promise<RunningInvocation> {
    const actor = requireActor(ctx);
    const input = parseInput(invokeAgentInput, rawInput);
    const clientTools = clientToolDeclarations(input.tools);
    const { workspaceId, state } = await loadWorkspace(this.deps.store, workspaceSlug, actor);
    if (state.status !== 'active') throw notFound();
    const [providerSetting, defaultSystemPrompt] = await Promise.all([
      currentSetting(this.deps.store, 'llm_provider'),
      currentSetting(this.deps.store, 'default_system_prompt'),
    ]);
    let choice;
    try {
      choice = this.deps.agents.selectAgent(state.settings, providerSetting);
    } catch (err) {
      if (err instanceof LlmError) throw invalid(err.message);
      throw err;
    }
    const invocationId = input.invocation_id ?? randomUUID();
    // A client-chosen id already used is refused before the daily limit counts this invocation.
    if (this.running.has(invocationId) || (input.invocation_id && (await this.invoked(invocationId))))
      throw conflict('An invocation with this id already exists.');
    await useChatQuota(this.deps.store, actor, {
      ...ctx,
      commandId: scopedId(ctx.commandId, 'agent-quota'),
      idempotencyKey: null,
    });
    const basePrompt = state.settings.openaiPrompt || String(defaultSystemPrompt || '') || DEFAULT_SYSTEM_PROMPT;
    const invocation = new RunningInvocation(
      this.deps,
      {
        invocationId,
        workspaceId,
        userId: actor.userId,
        message: input.message,
        clientTools,
        settings: state.settings,
        systemPrompt: `${basePrompt}\n\n${AGENT_GUIDANCE}`,
        agent: choice.agent,
        model: choice.model,
      },
      ctx,
      this.log,
    );
    invocation.listen(listener);
    this.running.set(invocationId, invocation);
    try {
      await invocation.start();
    } catch (err) {
      this.running.delete(invocationId);
      throw err;
    }
    void invocation.done.then(() => this.running.delete(invocationId));
    return invocation;
  }

  private async invoked(invocationId: string): Promise<boolean> {
    const [first] = await this.deps.store.readStream(agentStreamName(invocationId), { maxCount: 1, readOnly: true });
    return first !== undefined;
  }

  /** The client's answer to a tool_call of one of its own running invocations. */
  respond(actor: Actor, rawInput: unknown): void {
    this.answer(actor, checkToolResponse(rawInput));
  }

  /** A checked answer (checkToolResponse) to a tool_call of one of the actor's invocations running here. */
  answer(actor: Actor, response: ToolResponse): void {
    this.ownRunning(actor, response.invocationId).respond(response.callId, response.answer);
  }

  /** Cancels one of the actor's running invocations: it closes with reason `closed`. */
  close(actor: Actor, invocationId: string): RunningInvocation {
    const invocation = this.ownRunning(actor, invocationId);
    invocation.cancel('closed');
    return invocation;
  }

  /** A running invocation, for listening to it (the caller has checked who may). */
  find(invocationId: string): RunningInvocation | undefined {
    return this.running.get(invocationId);
  }

  /** How long an invocation may run: one not closed by then no longer runs anywhere. */
  get invocationTimeoutMs(): number {
    return this.deps.agentLimits.invocationTimeoutMs;
  }

  /** Shutting down: every invocation closes with reason `closed`, recorded. */
  async stop(): Promise<void> {
    const all = [...this.running.values()];
    for (const invocation of all) invocation.cancel('closed');
    await Promise.all(all.map((i) => i.done));
  }

  private ownRunning(actor: Actor, invocationId: string): RunningInvocation {
    const invocation = this.running.get(invocationId);
    if (!invocation || invocation.userId !== actor.userId) throw noSuchInvocation();
    return invocation;
  }
}
