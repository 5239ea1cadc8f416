/** Sleeps that end early when woken: a polling or retrying loop can be stopped, or told of work, at once. */
export class Sleeper {
  private wakeUp: (() => void) | undefined;

  /** Resolves after `ms`, or at the next wake(), whichever comes first. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /** Ends the sleep in progress; nothing when none is. */
  wake(): void {
    this.wakeUp?.();
  }
}
