/**
 * Background jobs (document ingestion, watched-document sync). Adapters: in-process, and BullMQ
 * on Redis (jobs survive restarts and are shared by every worker process).
 *
 * Job names are plain words (letters, digits, '-', '_', '.'): BullMQ makes a queue of each.
 * Job data must be JSON: handlers get a plain JSON copy, never the caller's objects.
 */
export interface Job<T = unknown> {
  /** The id given to enqueue; `repeat:<name>:<millis>` for scheduled runs. */
  id: string;
  name: string;
  data: T;
  /** 1 on the first try, 2 on the first retry, ... */
  attempt: number;
}

export type JobHandler<T = unknown> = (job: Job<T>) => Promise<void>;

export interface EnqueueOptions {
  /**
   * Deduplicates per job name: enqueueing an id that is waiting, running, done or failed adds
   * nothing, so a reactor can re-enqueue after a restart (job id = event id) without doubling.
   */
  jobId: string;
  /** Tries in all, the first included (default 3). */
  attempts?: number;
  /** Wait before the first retry; doubled for each further one (default 1000). */
  backoffMs?: number;
  /**
   * A job of this id that failed (used up its attempts) runs again, attempts counted afresh; one
   * waiting, running or done still adds nothing. For recovery: the process may have died after a
   * job's last attempt failed and before anyone heard of it, leaving its work unfinished for good.
   */
  rerunIfFailed?: boolean;
}

export interface ProcessOptions {
  /** Jobs of this name run at once in this process (default 1). */
  concurrency?: number;
}

/** A job that used up its attempts. */
export interface FailedJob {
  id: string;
  name: string;
  data: unknown;
  /** The message of the last attempt's error. */
  error: string;
  attempts: number;
}

export type FailedListener = (failure: FailedJob) => void;

export interface JobQueue {
  enqueue(name: string, data: unknown, options: EnqueueOptions): Promise<void>;
  /**
   * Starts running jobs of this name (those already waiting too) with `handler`; a throw is a
   * failed attempt. One handler per name and queue.
   */
  process<T = unknown>(name: string, handler: JobHandler<T>, options?: ProcessOptions): Promise<void>;
  /** Hears each job that failed its last attempt, once (in the process that ran it). Returns an unsubscribe. */
  onFailed(listener: FailedListener): () => void;
  /**
   * Runs `name` with `data` every `everyMs` (the first run comes soon after registering). One
   * schedule per name: registering again replaces interval and data. With BullMQ the schedule
   * lives in Redis, so every process may register it and each run still happens once.
   */
  repeat(name: string, everyMs: number, data?: unknown): Promise<void>;
  /** Drops the schedule of `name` (a BullMQ one would otherwise outlive a config that turned it off). */
  cancelRepeat(name: string): Promise<void>;
  /** Stops taking jobs and waits for running handlers to finish. Safe to call twice. */
  close(): Promise<void>;
}

export const DEFAULT_ATTEMPTS = 3;
export const DEFAULT_BACKOFF_MS = 1000;
