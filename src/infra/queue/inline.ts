/**
 * In-process job queue for the embedded mode: no broker, nothing survives a restart (the reactor
 * that enqueues re-derives lost jobs from its checkpoint).
 */
import { notifyFailed } from './failed-listeners.js';
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  type EnqueueOptions,
  type FailedListener,
  type JobHandler,
  type JobQueue,
  type ProcessOptions,
} from './port.js';

interface Entry {
  id: string;
  name: string;
  /** Kept as JSON, so each attempt gets its own plain copy, as from Redis. */
  json: string;
  attempts: number;
  backoffMs: number;
  /** Attempts started so far. */
  started: number;
  state: 'waiting' | 'running' | 'done' | 'failed';
}

/** The jobs of one name: who runs them, and those ready to run in order. */
interface Lane {
  // Lanes hold handlers of every job type; each is called only with jobs of its own name.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  handler?: JobHandler<any>;
  concurrency: number;
  active: number;
  ready: Entry[];
  /** Every id ever enqueued, so ids stay deduplicated after the job finished. */
  known: Map<string, Entry>;
}

interface Schedule {
  everyMs: number;
  json: string;
  timer: NodeJS.Timeout;
  last?: Entry;
}

export class InlineJobQueue implements JobQueue {
  private readonly lanes = new Map<string, Lane>();
  private readonly schedules = new Map<string, Schedule>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private readonly listeners = new Set<FailedListener>();
  private closed = false;

  /** `onError` hears failures of onFailed listeners, with the job name as context. */
  constructor(private readonly onError: (err: unknown, context: string) => void = reportError) {}

  async enqueue(name: string, data: unknown, options: EnqueueOptions): Promise<void> {
    this.assertOpen();
    const known = this.lane(name).known.get(options.jobId);
    if (options.rerunIfFailed && known?.state === 'failed') this.rerun(known);
    else this.add(name, options.jobId, JSON.stringify(data ?? null), options.attempts, options.backoffMs);
  }

  async process<T = unknown>(name: string, handler: JobHandler<T>, options: ProcessOptions = {}): Promise<void> {
    this.assertOpen();
    const lane = this.lane(name);
    if (lane.handler) throw new Error(`jobs "${name}" already have a handler`);
    lane.handler = handler;
    lane.concurrency = Math.max(1, options.concurrency ?? 1);
    this.pump(lane);
  }

  onFailed(listener: FailedListener): () => void {
    const own: FailedListener = (failure) => listener(failure); // distinct per call
    this.listeners.add(own);
    return () => void this.listeners.delete(own);
  }

  async repeat(name: string, everyMs: number, data?: unknown): Promise<void> {
    this.assertOpen();
    if (!(everyMs > 0)) throw new Error(`repeat interval must be positive, got ${everyMs}`);
    const json = JSON.stringify(data ?? null);
    const existing = this.schedules.get(name);
    // Same interval: keep the rhythm and take the new data, as BullMQ does.
    if (existing && existing.everyMs === everyMs) {
      existing.json = json;
      return;
    }
    if (existing) clearInterval(existing.timer);
    const schedule: Schedule = { everyMs, json, timer: setInterval(() => this.tick(name, schedule), everyMs) };
    this.schedules.set(name, schedule);
    this.tick(name, schedule); // first run right away, as a new BullMQ scheduler does
  }

  async cancelRepeat(name: string): Promise<void> {
    const schedule = this.schedules.get(name);
    if (schedule) clearInterval(schedule.timer);
    this.schedules.delete(name);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    for (const schedule of this.schedules.values()) clearInterval(schedule.timer);
    this.schedules.clear();
    // Handlers that finish start nothing new once closed, so this drains.
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private add(
    name: string,
    id: string,
    json: string,
    attempts = DEFAULT_ATTEMPTS,
    backoffMs = DEFAULT_BACKOFF_MS,
  ): Entry | undefined {
    const lane = this.lane(name);
    if (lane.known.has(id)) return undefined;
    const entry: Entry = { id, name, json, attempts: Math.max(1, attempts), backoffMs, started: 0, state: 'waiting' };
    lane.known.set(id, entry);
    lane.ready.push(entry);
    this.pump(lane);
    return entry;
  }

  /** A failed job back in line, its attempts counted afresh. */
  private rerun(entry: Entry): void {
    const lane = this.lane(entry.name);
    entry.started = 0;
    entry.state = 'waiting';
    lane.ready.push(entry);
    this.pump(lane);
  }

  private tick(name: string, schedule: Schedule): void {
    // Like BullMQ, no new run while the previous one has not even started.
    if (this.closed || (schedule.last && schedule.last.started === 0)) return;
    schedule.last = this.add(name, `repeat:${name}:${Date.now()}`, schedule.json) ?? schedule.last;
  }

  private lane(name: string): Lane {
    let lane = this.lanes.get(name);
    if (!lane) this.lanes.set(name, (lane = { concurrency: 1, active: 0, ready: [], known: new Map() }));
    return lane;
  }

  private pump(lane: Lane): void {
    while (!this.closed && lane.handler && lane.active < lane.concurrency && lane.ready.length > 0) {
      this.run(lane, lane.handler, lane.ready.shift()!);
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as Lane.handler
  private run(lane: Lane, handler: JobHandler<any>, entry: Entry): void {
    entry.started += 1;
    entry.state = 'running';
    lane.active += 1;
    const attempt = entry.started;
    const done = (async () => {
      try {
        await handler({ id: entry.id, name: entry.name, data: JSON.parse(entry.json), attempt });
        entry.state = 'done';
      } catch (err) {
        this.attemptFailed(lane, entry, err);
      } finally {
        lane.active -= 1;
        this.pump(lane);
      }
    })();
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
  }

  private attemptFailed(lane: Lane, entry: Entry, err: unknown): void {
    if (entry.started < entry.attempts) {
      entry.state = 'waiting';
      if (this.closed) return; // in-process jobs end with the process anyway
      const timer = setTimeout(
        () => {
          this.retryTimers.delete(timer);
          lane.ready.push(entry);
          this.pump(lane);
        },
        entry.backoffMs * 2 ** (entry.started - 1),
      );
      this.retryTimers.add(timer);
      return;
    }
    entry.state = 'failed';
    const failure = {
      id: entry.id,
      name: entry.name,
      data: JSON.parse(entry.json),
      error: messageOf(err),
      attempts: entry.started,
    };
    notifyFailed(this.listeners, failure, (listenerErr, name) => this.onError(listenerErr, name));
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('job queue is closed');
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function reportError(err: unknown, context: string): void {
  console.error(`job queue (${context}):`, err);
}
