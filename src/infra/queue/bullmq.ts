/**
 * Jobs on BullMQ (Redis): they survive restarts and are shared by every worker process.
 *
 * One BullMQ queue per job name, rather than one queue of named jobs: a worker takes any job of
 * its queue, so with one queue a process would pick up names it has no handler for, and
 * concurrency could not be set per name.
 */
import { Queue, Worker, type Job as BullJob, type KeepJobs } from 'bullmq';
import type { Redis } from 'ioredis';
import { connectRedis } from '../redis/connect.js';
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

const DAY_S = 24 * 60 * 60;
/**
 * Finished jobs are kept so their ids stay deduplicated: a reactor re-enqueues at most what
 * followed its last checkpoint, minutes after a restart, so a week is ample. Age only, no count,
 * so a burst of uploads cannot evict ids early. BullMQ trims as later jobs finish.
 */
const KEEP_COMPLETED: KeepJobs = { age: 7 * DAY_S };
/** Failed jobs a month, so the error can still be looked at. */
const KEEP_FAILED: KeepJobs = { age: 30 * DAY_S };
/** Scheduled runs have fresh ids each time; keep only a few for inspection. */
const KEEP_SCHEDULED: KeepJobs = { count: 100 };

export interface BullMqOptions {
  /** Namespaces every key: `<prefix>:<job name>:...`. */
  prefix?: string;
  /** Hears worker and connection errors after startup, and onFailed listener failures. */
  onError?: (err: unknown, context: string) => void;
}

export class BullMqJobQueue implements JobQueue {
  private readonly queues = new Map<string, Queue>();
  private readonly workers = new Map<string, Worker>();
  private readonly listeners = new Set<FailedListener>();
  private closing?: Promise<void>;

  private constructor(
    /** Shared by all queues and workers (workers add their own blocking connection). */
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly onError: (err: unknown, context: string) => void,
  ) {}

  static async connect(url: string, options: BullMqOptions = {}): Promise<BullMqJobQueue> {
    const onError = options.onError ?? reportError;
    // BullMQ workers need maxRetriesPerRequest: null.
    return new BullMqJobQueue(
      await connectRedis(url, onError, { maxRetriesPerRequest: null }),
      options.prefix ?? 'chronicle',
      onError,
    );
  }

  async enqueue(name: string, data: unknown, options: EnqueueOptions): Promise<void> {
    // BullMQ answers an id it still holds (waiting, active, delayed, completed, failed) with that job,
    // adding nothing: a failed one is kept (KEEP_FAILED) and would otherwise block its id for a month.
    const job = await this.queue(name).add(name, data ?? null, {
      jobId: toBullId(options.jobId),
      attempts: Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS),
      backoff: { type: 'exponential', delay: options.backoffMs ?? DEFAULT_BACKOFF_MS },
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
    });
    if (options.rerunIfFailed) await this.rerunIfFailed(job);
  }

  /**
   * Job.retry moves a failed job back to waiting; its attempt counters are reset so it gets its full
   * attempts again. Another process may retry it first (retry then throws, the job no longer being
   * failed): that is the same outcome.
   */
  private async rerunIfFailed(job: BullJob): Promise<void> {
    if ((await job.getState()) !== 'failed') return;
    try {
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    } catch (err) {
      if ((await job.getState()) === 'failed') throw err;
    }
  }

  async process<T = unknown>(name: string, handler: JobHandler<T>, options: ProcessOptions = {}): Promise<void> {
    this.assertOpen();
    if (this.workers.has(name)) throw new Error(`jobs "${name}" already have a handler`);
    const worker = new Worker(
      name,
      async (job: BullJob) => {
        // attemptsMade counts finished attempts, so the running one is the next.
        await handler({
          id: fromBullId(job.id ?? ''),
          name: job.name,
          data: job.data as T,
          attempt: job.attemptsMade + 1,
        });
      },
      { connection: this.connection, prefix: this.prefix, concurrency: Math.max(1, options.concurrency ?? 1) },
    );
    this.workers.set(name, worker);
    worker.on('error', (err) => this.onError(err, name));
    // 'failed' fires after every failed attempt; finishedOn is set only when no retry follows.
    worker.on('failed', (job, err) => {
      if (job?.finishedOn !== undefined) this.notifyFailed(job, err);
    });
    await worker.waitUntilReady();
  }

  onFailed(listener: FailedListener): () => void {
    const own: FailedListener = (failure) => listener(failure); // distinct per call
    this.listeners.add(own);
    return () => void this.listeners.delete(own);
  }

  async repeat(name: string, everyMs: number, data?: unknown): Promise<void> {
    if (!(everyMs > 0)) throw new Error(`repeat interval must be positive, got ${everyMs}`);
    // The scheduler lives in Redis under its id: upserting from every process keeps one schedule.
    await this.queue(name).upsertJobScheduler(
      name,
      { every: everyMs },
      {
        name,
        data: data ?? null,
        opts: {
          attempts: DEFAULT_ATTEMPTS,
          backoff: { type: 'exponential', delay: DEFAULT_BACKOFF_MS },
          removeOnComplete: KEEP_SCHEDULED,
          removeOnFail: KEEP_FAILED,
        },
      },
    );
  }

  async cancelRepeat(name: string): Promise<void> {
    await this.queue(name).removeJobScheduler(name);
  }

  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  /** Workers first (they finish running jobs, which still need the queues and connection). */
  private async shutdown(): Promise<void> {
    await this.settle(
      [...this.workers.values()].map((worker) => worker.close()),
      'close workers',
    );
    await this.settle(
      [...this.queues.values()].map((queue) => queue.close()),
      'close queues',
    );
    await this.connection.quit().catch(() => this.connection.disconnect());
  }

  private async settle(closing: Promise<unknown>[], context: string): Promise<void> {
    for (const result of await Promise.allSettled(closing)) {
      if (result.status === 'rejected') this.onError(result.reason, context);
    }
  }

  private queue(name: string): Queue {
    this.assertOpen();
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      queue.on('error', (err) => this.onError(err, name));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private notifyFailed(job: BullJob, err: Error): void {
    const failure = {
      id: fromBullId(job.id ?? ''),
      name: job.name,
      data: job.data,
      error: err.message,
      attempts: job.attemptsMade,
    };
    notifyFailed(this.listeners, failure, (listenerErr, name) => this.onError(listenerErr, name));
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('job queue is closed');
  }
}

/**
 * BullMQ refuses custom ids with ':' or that read as integers. Escaping '%' and ':' and marking
 * integers with a '%N' prefix (which escaping never produces) keeps the mapping reversible and
 * one-to-one, and leaves ordinary ids (event UUIDs) as they are.
 */
export function toBullId(id: string): string {
  const escaped = id.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'));
  return `${parseInt(escaped, 10)}` === escaped ? `%N${escaped}` : escaped;
}

export function fromBullId(id: string): string {
  // Scheduler runs (`repeat:<name>:<millis>`) carry BullMQ's own ids, which hold no '%'.
  return id.replace(/^%N/, '').replace(/%(25|3A)/g, (_, code: string) => (code === '25' ? '%' : ':'));
}

function reportError(err: unknown, context: string): void {
  console.error(`bullmq job queue (${context}):`, err);
}
