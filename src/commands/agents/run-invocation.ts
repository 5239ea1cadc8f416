import type { AgentMessage, AgentModel, AgentToolCall, AgentToolSpec } from '../../ai/llm/agent-port.js';
import { LlmError } from '../../ai/llm/port.js';
import type { AgentEvent, ClientToolDeclaration, CloseReason } from '../../domain/agents/events.js';
import { type InvocationCommand, invocationDecider } from '../../domain/agents/invocation.js';
import { DomainError, fieldError } from '../../domain/shared/errors.js';
import type { WorkspaceSettings } from '../../domain/workspaces/settings.js';
import type { CommandContext } from '../shared/context.js';
import { scopedId } from '../shared/event-ids.js';
import { handleCommand } from '../shared/handle.js';
import type { AgentDeps } from './deps.js';
import { type AgentFrame, framesOf } from './frames.js';
import { isServerTool, runServerTool, SERVER_TOOLS, serverToolNote, ToolFailure } from './server-tools.js';

export const agentStreamName = (invocationId: string) => `agent-${invocationId}`;

export const INVOCATION_FAILED = 'The agent could not complete this task. Please try again later.';

/** A frame and the stream revision of the event it stands for (a late subscriber skips what it replayed). */
export type FrameListener = (frame: AgentFrame, revision: number) => void;

/** A tool's answer as the model reads it. */
interface ToolAnswer {
  result: string | null;
  error: string | null;
}

export interface InvocationPlan {
  invocationId: string;
  workspaceId: number;
  userId: number;
  message: string;
  clientTools: ClientToolDeclaration[];
  settings: WorkspaceSettings;
  systemPrompt: string;
  agent: AgentModel;
  model: string | null;
}

class Cancelled extends Error {}

/**
 * One invocation, from AgentInvoked to AgentInvocationClosed: model turn, then the tools it asked for
 * (server tools here, client tools sent as tool_call and awaited), their results back to the model,
 * and again, until a turn asks for no tool or the step limit is reached. Every step is appended before
 * its frame goes out; whatever ends it (answer, close, timeout, failure) is recorded as the close.
 */
export class RunningInvocation {
  readonly invocationId: string;
  readonly userId: number;
  readonly workspaceId: number;
  /** Settles once the invocation is closed and recorded. */
  readonly done: Promise<void>;
  private readonly listeners = new Set<FrameListener>();
  private readonly controller = new AbortController();
  private readonly waiting = new Map<string, (answer: ToolAnswer) => void>();
  private ending: { reason: CloseReason; error: string | null } | null = null;
  private appended = 0;
  /** Commands recorded so far, counted as they are queued: each gets its own command id. */
  private commands = 0;
  private recording: Promise<unknown> = Promise.resolve();
  private startDone!: () => void;

  constructor(
    private readonly deps: AgentDeps,
    private readonly plan: InvocationPlan,
    private readonly ctx: CommandContext,
    private readonly log: (err: unknown, what: string) => void,
  ) {
    this.invocationId = plan.invocationId;
    this.userId = plan.userId;
    this.workspaceId = plan.workspaceId;
    this.done = new Promise((resolve) => (this.startDone = resolve));
  }

  /** Number of events appended so far: the next one's revision. */
  get revision(): number {
    return this.appended;
  }

  listen(listener: FrameListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records AgentInvoked (rejecting, with nothing started, if that fails), then runs the rest in the background. */
  async start(): Promise<void> {
    const { invocationId, workspaceId, userId, message, clientTools } = this.plan;
    await this.record({ type: 'Invoke', invocationId, workspaceId, userId, message, clientTools, now: this.ctx.now });
    const deadline = setTimeout(
      () => this.cancel('timeout', `The invocation ran longer than ${this.deps.agentLimits.invocationTimeoutMs} ms.`),
      this.deps.agentLimits.invocationTimeoutMs,
    );
    void this.run().finally(() => {
      clearTimeout(deadline);
      this.listeners.clear();
      this.startDone();
    });
  }

  /** The client's answer to one of its tool calls; refused when no call of this invocation awaits that id. */
  respond(callId: string, answer: ToolAnswer): void {
    const waiter = this.waiting.get(callId);
    if (!waiter) throw fieldError('call_id', 'No pending call of this invocation has this id.');
    waiter(answer);
  }

  /** Stops the model call and every pending tool call; the invocation then closes with this reason. */
  cancel(reason: 'closed' | 'timeout', error: string | null = null): void {
    if (this.ending) return;
    this.ending = { reason, error };
    this.controller.abort();
    for (const waiter of [...this.waiting.values()]) waiter({ result: null, error: null });
  }

  private get signal() {
    return this.controller.signal;
  }

  /** Appends one step (after the ones before it) and only then hands its frames to the listeners. */
  private record(command: InvocationCommand): Promise<void> {
    // Counted when queued, not when appended: two steps queued together must not share an id (nor their events').
    const n = this.commands++;
    const next = this.recording.then(async () => {
      const { events } = await handleCommand(
        this.deps.store,
        agentStreamName(this.invocationId),
        invocationDecider,
        command,
        { ...this.ctx, commandId: scopedId(this.ctx.commandId, 'agent-step', n, command.type), idempotencyKey: null },
      );
      for (const event of events as AgentEvent[]) {
        const revision = this.appended++;
        for (const frame of framesOf(event)) for (const listener of this.listeners) listener(frame, revision);
      }
    });
    this.recording = next.catch(() => {});
    return next;
  }

  private async run(): Promise<void> {
    let steps = 0;
    let tokens: { input: number; output: number } | null = null;
    let outcome: { reason: CloseReason; error: string | null };
    try {
      outcome = await this.loop(
        () => (steps < this.deps.agentLimits.maxSteps ? ++steps : undefined),
        (usage) => {
          if (usage)
            tokens = {
              input: (tokens?.input ?? 0) + usage.inputTokens,
              output: (tokens?.output ?? 0) + usage.outputTokens,
            };
        },
      );
    } catch (err) {
      if (this.ending) outcome = this.ending;
      else if (err instanceof LlmError) outcome = { reason: 'error', error: err.message };
      else {
        this.log(err, 'agent invocation failed');
        outcome = { reason: 'error', error: INVOCATION_FAILED };
      }
    }
    try {
      await this.record({ type: 'CloseInvocation', ...outcome, steps, tokens, now: new Date() });
    } catch (err) {
      // Closed already: a worker closed it as overdue (this process was stalled past its timeout and grace).
      if (err instanceof DomainError && err.kind === 'conflict') return;
      this.log(err, 'agent invocation close could not be recorded');
    }
  }

  private async loop(
    nextStep: () => number | undefined,
    countUsage: (usage: { inputTokens: number; outputTokens: number } | null) => void,
  ): Promise<{ reason: CloseReason; error: string | null }> {
    const { agent, model, settings, clientTools, systemPrompt, message } = this.plan;
    const tools: AgentToolSpec[] = [...SERVER_TOOLS, ...clientTools];
    const clientNames = new Set(clientTools.map((t) => t.name));
    const messages: AgentMessage[] = [
      { role: 'system', content: systemPrompt },
      { role: 'user', content: message },
    ];
    const usedIds = new Set<string>();
    for (;;) {
      const step = nextStep();
      if (step === undefined) return { reason: 'max_steps', error: null };
      const turn = await agent.turn({ model, temperature: settings.openaiTemp, messages, tools, signal: this.signal });
      this.throwIfCancelled();
      countUsage(turn.usage);
      if (turn.toolCalls.length === 0) {
        await this.record({ type: 'SendMessage', content: turn.text, final: true, tool: null, step, now: new Date() });
        return { reason: 'completed', error: null };
      }
      if (turn.text.trim() !== '')
        await this.record({ type: 'SendMessage', content: turn.text, final: false, tool: null, step, now: new Date() });
      messages.push({ role: 'assistant', content: turn.text, toolCalls: turn.toolCalls });
      // Every call is recorded first, in the model's order; then they run at once, each answer recorded as it comes.
      const calls = turn.toolCalls.map((call) => ({ call, callId: uniqueId(call.id, step, usedIds) }));
      for (const { call, callId } of calls) {
        const side = clientNames.has(call.name) ? 'client' : 'server';
        await this.record({
          type: 'CallTool',
          callId,
          name: call.name,
          arguments: call.arguments,
          side,
          step,
          now: new Date(),
        });
      }
      const answers = await Promise.all(calls.map(({ call, callId }) => this.answer(call, callId, clientNames, step)));
      this.throwIfCancelled();
      calls.forEach(({ call }, i) => {
        const { result, error } = answers[i];
        messages.push({
          role: 'tool',
          callId: call.id,
          name: call.name,
          content: error ?? result ?? '',
          isError: error !== null,
        });
      });
    }
  }

  /** Runs or awaits one call and records its answer (unless the invocation is closing: the close answers it). */
  private async answer(
    call: AgentToolCall,
    callId: string,
    clientNames: Set<string>,
    step: number,
  ): Promise<ToolAnswer> {
    let answer: ToolAnswer;
    if (clientNames.has(call.name)) answer = await this.awaitClient(callId);
    else answer = await this.runOnServer(call);
    if (this.signal.aborted) return answer;
    await this.record({ type: 'RespondToTool', callId, ...answer, now: new Date() });
    if (isServerTool(call.name))
      await this.record({
        type: 'SendMessage',
        content: serverToolNote(call.name, answer),
        final: false,
        tool: call.name,
        step,
        now: new Date(),
      });
    return answer;
  }

  private async runOnServer(call: AgentToolCall): Promise<ToolAnswer> {
    if (!isServerTool(call.name)) return { result: null, error: `No tool is named "${call.name}".` };
    try {
      const scope = { workspaceId: this.workspaceId, settings: this.plan.settings };
      return { result: await runServerTool(this.deps, scope, call.name, call.arguments ?? {}), error: null };
    } catch (err) {
      if (err instanceof ToolFailure) return { result: null, error: err.message };
      this.log(err, `agent server tool ${call.name} failed`);
      return { result: null, error: `${call.name} failed on the server.` };
    }
  }

  /** The client's answer, or a failure once AGENT_TOOL_TIMEOUT_MS has passed without one. */
  private awaitClient(callId: string): Promise<ToolAnswer> {
    const timeoutMs = this.deps.agentLimits.toolTimeoutMs;
    return new Promise((resolve) => {
      const settle = (answer: ToolAnswer) => {
        clearTimeout(timer);
        this.waiting.delete(callId);
        resolve(answer);
      };
      const timer = setTimeout(
        () => settle({ result: null, error: `The client did not answer this call within ${timeoutMs} ms.` }),
        timeoutMs,
      );
      this.waiting.set(callId, settle);
    });
  }

  private throwIfCancelled() {
    if (this.signal.aborted) throw new Cancelled();
  }
}

/** The provider's call id, unless this invocation used it already (ids need only be unique within a turn). */
function uniqueId(providerId: string, step: number, used: Set<string>): string {
  let id = providerId || `call_${step}`;
  for (let n = 2; used.has(id); n++) id = `${providerId || 'call'}_${step}_${n}`;
  used.add(id);
  return id;
}
