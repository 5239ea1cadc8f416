import type { AgentTurn, AgentTurnRequest } from './agent-port.js';

/**
 * One upstream call's abort controller: aborted when the caller's signal aborts, when no byte has
 * arrived for `idleMs` (before the first token or between two), or when the call is over. The SDKs'
 * own timeouts stop at the response headers; a stream that stalls afterwards would hang forever.
 */
export class UpstreamGuard {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private readonly onCallerAbort = () => this.controller.abort();
  timedOut = false;

  constructor(
    private readonly caller: AbortSignal,
    private readonly idleMs: number,
  ) {
    if (caller.aborted) this.controller.abort();
    else caller.addEventListener('abort', this.onCallerAbort, { once: true });
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The caller gave up: its abort is not a failure. */
  get callerAborted(): boolean {
    return this.caller.aborted;
  }

  /** Something arrived: the idle clock starts again. */
  touch(): void {
    if (this.idleMs <= 0 || this.controller.signal.aborted) return;
    if (this.timer) this.timer.refresh();
    else {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.controller.abort();
      }, this.idleMs);
      this.timer.unref();
    }
  }

  /** Ends the call: stops the clock and aborts the request if it is still open (a no-op once it completed). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.caller.removeEventListener('abort', this.onCallerAbort);
    this.controller.abort();
  }
}

/** How one provider streams an agent turn: the stream, what assembles it, and its SDK's errors. */
export interface TurnStream<C> {
  open(signal: AbortSignal): Promise<AsyncIterable<C>>;
  assembler: { add(chunk: C): void; turn(): AgentTurn };
  /** The SDK's own timeout error, for a stream that went idle. */
  timeout(): Error;
  /** The client-fit error for a failure, before or after the stream started. */
  failure(err: unknown, streaming: boolean): Error;
}

/**
 * One agent turn, streamed under a guard so that a stall between chunks times out as a chat's does.
 * The caller's abort is no failure: the turn then comes back empty.
 */
export async function guardedTurn<C>(
  request: AgentTurnRequest,
  idleMs: number,
  stream: TurnStream<C>,
): Promise<AgentTurn> {
  const empty: AgentTurn = { text: '', toolCalls: [], usage: null };
  if (request.signal.aborted) return empty;
  const guard = new UpstreamGuard(request.signal, idleMs);
  let streaming = false;
  try {
    const chunks = await stream.open(guard.signal);
    streaming = true;
    for await (const chunk of chunks) {
      guard.touch();
      stream.assembler.add(chunk);
    }
    // The clients end quietly when their request is aborted: tell a stall from a finished turn.
    if (guard.timedOut) throw stream.timeout();
    if (request.signal.aborted) return empty;
    return stream.assembler.turn();
  } catch (err) {
    if (guard.callerAborted) return empty;
    throw stream.failure(guard.timedOut ? stream.timeout() : err, streaming);
  } finally {
    guard.close();
  }
}
