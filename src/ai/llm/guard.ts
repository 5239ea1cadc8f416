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
