/**
 * Read-your-writes: how far the read models have got, and a way to wait until they pass a position.
 * Fed by the projection runner in this process, or by its notifications from another process.
 */
/**
 * A command's events are stored but the read models have not applied them within the wait (a projection
 * is stuck or far behind): the answer would be stale, or a 404 for what was just created.
 */
export class NotYetReadableError extends Error {
  constructor(readonly position: number) {
    super('The write was recorded but is not yet readable: the read models are behind. Read it again later.');
    this.name = 'NotYetReadableError';
  }
}

export class ProjectionProgress {
  private current = 0;
  private followers = 0;
  private waiters: { position: number; deadline: number; resolve: (caughtUp: boolean) => void }[] = [];
  /**
   * One timer for every wait, due at the earliest deadline, instead of a timer per wait: a command's answer
   * waits here once per request, and a wait almost always ends by `advance`, long before its timeout.
   */
  private expiry: NodeJS.Timeout | null = null;
  private expiryAt = Infinity;

  /**
   * @param waitMs how long read-your-writes waits for the read models by default.
   * @param since when this process began following the log: unapplied events older than this are a catch-up still under way.
   */
  constructor(
    private readonly waitMs = 5000,
    readonly since = Date.now(),
  ) {}

  get position(): number {
    return this.current;
  }

  advance(position: number): void {
    if (position <= this.current) return;
    this.current = position;
    const ready = this.waiters.filter((w) => w.position <= position);
    if (!ready.length) return;
    this.waiters = this.waiters.filter((w) => w.position > position);
    for (const w of ready) w.resolve(true);
  }

  /**
   * Something in this process follows every change as it is told (a live subscription, pushing each to its
   * socket) until the returned function is called: while anything does, the projection runner tells a batch
   * one waited-for write at a time (runner.ts announceInTurns).
   */
  follow(): () => void {
    this.followers++;
    let followed = true;
    return () => {
      if (followed) this.followers--;
      followed = false;
    };
  }

  get followed(): boolean {
    return this.followers > 0;
  }

  /** Positions someone waits for in (after, upTo], ascending and distinct: where a batch's announcement may be cut. */
  awaitedBetween(after: number, upTo: number): number[] {
    const positions = new Set<number>();
    for (const w of this.waiters) if (w.position > after && w.position <= upTo) positions.add(w.position);
    return [...positions].sort((x, y) => x - y);
  }

  /** Resolves true once the read models include `position`, or false after `timeoutMs`. */
  waitFor(position: number, timeoutMs = this.waitMs): Promise<boolean> {
    if (position <= this.current) return Promise.resolve(true);
    return new Promise((resolve) => {
      const deadline = performance.now() + timeoutMs;
      this.waiters.push({ position, deadline, resolve });
      if (deadline < this.expiryAt) this.expireAt(deadline);
    });
  }

  /** (Re)arms the one expiry timer for `at` (performance.now() time). */
  private expireAt(at: number): void {
    if (this.expiry) clearTimeout(this.expiry);
    this.expiryAt = at;
    this.expiry = setTimeout(() => this.expire(), Math.max(0, at - performance.now()));
    this.expiry.unref(); // a wait (the worker's can be minutes long) never keeps a closed server's process alive
  }

  /** Answers false to the waits past their deadline, then arms the timer for the earliest left. */
  private expire(): void {
    this.expiry = null;
    this.expiryAt = Infinity;
    const now = performance.now();
    const expired = this.waiters.filter((w) => w.deadline <= now);
    if (expired.length) this.waiters = this.waiters.filter((w) => w.deadline > now);
    for (const w of expired) w.resolve(false);
    let next = Infinity;
    for (const w of this.waiters) next = Math.min(next, w.deadline);
    if (next < Infinity) this.expireAt(next);
  }

  /** Read-your-writes: resolves once the read models include `position`; throws NotYetReadableError after the wait. */
  async settle(position: number): Promise<void> {
    if (!(await this.waitFor(position))) throw new NotYetReadableError(position);
  }
}
