import { randomUUID } from 'node:crypto';
import { DomainError, type DomainErrorKind, type FieldErrors } from '../../domain/shared/errors.js';
import type { PubSub } from '../../infra/pubsub/port.js';
import type { Actor } from '../shared/context.js';
import { type AgentInvocations, checkToolResponse, noSuchInvocation, type ToolResponse } from './invocations.js';

/** Every API process hears the requests; only the one running the invocation answers. */
const REQUESTS_CHANNEL = 'agent-invocations:requests';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A tool_response as it travels: the owner checks it again, as it would a client's. */
interface WireResponse {
  invocation_id: string;
  call_id: string;
  result?: string;
  error?: string;
}

type Ask = { actor: Actor } & ({ op: 'respond'; response: WireResponse } | { op: 'close'; invocationId: string });
type Request = Ask & { id: string; replyTo: string };

interface Refusal {
  kind: DomainErrorKind;
  message: string;
  fieldErrors?: FieldErrors;
}

/** `refusal` is the owner's DomainError; neither ok nor a refusal means it failed unexpectedly. */
interface Reply {
  id: string;
  ok: boolean;
  refusal?: Refusal;
}

export interface RemoteInvocationsOptions {
  /** How long to wait for the process running an invocation to answer; silence means none runs it. */
  replyTimeoutMs: number;
  log: (err: unknown, what: string) => void;
}

/**
 * Answers and closes a client's invocation wherever it runs. An invocation lives in the API process
 * that started it; a GraphQL request reaching another process (behind a load balancer) is handed over
 * pub/sub to all processes, the one running it checks it exactly as its own requests and replies, and
 * no reply within the timeout means no process runs it. Without pub/sub across processes (`null`,
 * embedded) only this process's invocations exist, so nothing is asked and nothing waits.
 */
export class RemoteInvocations {
  private readonly replyTo = `agent-invocations:replies:${randomUUID()}`;
  private readonly waiting = new Map<string, (reply: Reply | null) => void>();
  private readonly unsubscribes: (() => Promise<void>)[] = [];

  private constructor(
    private readonly local: AgentInvocations,
    private readonly pubsub: PubSub | null,
    private readonly options: RemoteInvocationsOptions,
  ) {}

  /** Listens for other processes' requests and for the replies to this one's. */
  static async start(
    local: AgentInvocations,
    pubsub: PubSub | null,
    options: RemoteInvocationsOptions,
  ): Promise<RemoteInvocations> {
    const remote = new RemoteInvocations(local, pubsub, options);
    if (pubsub) {
      remote.unsubscribes.push(await pubsub.subscribe(remote.replyTo, (m) => remote.settle(m as Reply)));
      remote.unsubscribes.push(await pubsub.subscribe(REQUESTS_CHANNEL, (m) => remote.serve(m as Request)));
    }
    return remote;
  }

  /** The client's answer to a tool_call of one of its invocations, here or in another process. */
  async respond(actor: Actor, rawInput: unknown): Promise<void> {
    const response = checkToolResponse(rawInput);
    if (this.local.find(response.invocationId)) return this.local.answer(actor, response);
    await this.ask({ op: 'respond', actor, response: wireOf(response) }, response.invocationId);
  }

  /** Cancels one of the actor's invocations, here or in another process. */
  async close(actor: Actor, invocationId: string): Promise<void> {
    if (this.local.find(invocationId)) {
      this.local.close(actor, invocationId);
      return;
    }
    await this.ask({ op: 'close', actor, invocationId }, invocationId);
  }

  /** Stops listening; requests still waiting get the answer silence would have given. */
  async stop(): Promise<void> {
    for (const settle of [...this.waiting.values()]) settle(null);
    await Promise.all(this.unsubscribes.splice(0).map((unsubscribe) => unsubscribe()));
  }

  private ask(request: Ask, invocationId: string): Promise<void> {
    // Ids are UUIDs: any other id names no invocation, and is not sent anywhere.
    if (!this.pubsub || !UUID.test(invocationId)) return Promise.reject(noSuchInvocation());
    const pubsub = this.pubsub;
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const settle = (reply: Reply | null) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        if (reply === null) reject(noSuchInvocation());
        else if (reply.ok) resolve();
        else if (reply.refusal)
          reject(new DomainError(reply.refusal.kind, reply.refusal.message, reply.refusal.fieldErrors));
        else reject(new Error('The process running the agent invocation failed to handle the request.'));
      };
      const timer = setTimeout(() => settle(null), this.options.replyTimeoutMs);
      this.waiting.set(id, settle);
      pubsub.publish(REQUESTS_CHANNEL, { ...request, id, replyTo: this.replyTo } satisfies Request).catch((err) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        reject(err);
      });
    });
  }

  private settle(reply: Reply) {
    if (typeof reply?.id === 'string') this.waiting.get(reply.id)?.(reply);
  }

  /** Another process's request: answered only here, where the invocation runs, with the local path's checks. */
  private serve(request: Request) {
    const invocationId = request?.op === 'respond' ? request.response?.invocation_id : request?.invocationId;
    if (typeof invocationId !== 'string' || !this.local.find(invocationId)) return;
    let reply: Reply;
    try {
      if (request.op === 'respond') this.local.answer(request.actor, checkToolResponse(request.response));
      else this.local.close(request.actor, invocationId);
      reply = { id: request.id, ok: true };
    } catch (err) {
      if (err instanceof DomainError)
        reply = {
          id: request.id,
          ok: false,
          refusal: { kind: err.kind, message: err.message, fieldErrors: err.fieldErrors },
        };
      else {
        this.options.log(err, 'agent invocation request from another process failed');
        reply = { id: request.id, ok: false };
      }
    }
    this.pubsub!.publish(request.replyTo, reply).catch((err) => this.options.log(err, 'agent invocation reply failed'));
  }
}

function wireOf(response: ToolResponse): WireResponse {
  const { invocationId, callId, answer } = response;
  return {
    invocation_id: invocationId,
    call_id: callId,
    ...(answer.error !== null ? { error: answer.error } : { result: answer.result ?? '' }),
  };
}
