/**
 * Contract every JobQueue adapter must meet. Nothing here asserts timings: tests wait (with a
 * generous deadline) for things to happen, and check that something did not happen by waiting
 * for a later job that must run after it (one at a time, in order).
 */
import type { FailedJob, Job, JobQueue } from '../../src/infra/queue/port.js';

let counter = 0;
const runId = `${process.pid}_${Date.now().toString(36)}`;
/** A job name no other test (or earlier run against a shared Redis) uses. */
export const uniqueName = (label: string) => `test-${runId}-${label}-${++counter}`;

/** Resolves once `ready()` holds, or fails after a generous deadline with `describe()`. */
export async function eventually(ready: () => boolean, describe: () => string, deadlineMs = 15_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise to release by hand. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

export function describeJobQueueContract(name: string, open: () => Promise<JobQueue>): void {
  describe(`JobQueue contract: ${name}`, () => {
    let queue: JobQueue;
    let failures: FailedJob[];

    beforeEach(async () => {
      queue = await open();
      failures = [];
      queue.onFailed((failure) => failures.push(failure));
    });

    afterEach(async () => {
      await queue?.close();
    });

    /** Handler that records every run, by job id. */
    function recorder() {
      const runs: Job[] = [];
      const ids = () => runs.map((job) => job.id);
      const handler = async (job: Job) => {
        runs.push(job);
      };
      return {
        runs,
        ids,
        handler,
        until: (count: number) =>
          eventually(
            () => runs.length >= count,
            () => JSON.stringify(runs),
          ),
      };
    }

    it('runs a job with its name, id and data, as plain JSON', async () => {
      const jobs = uniqueName('run');
      const got = recorder();
      await queue.process(jobs, got.handler);
      await queue.enqueue(jobs, { documentId: 40, at: new Date(0), tags: ['a'] }, { jobId: 'event-1' });
      await got.until(1);
      expect(got.runs).toEqual([
        {
          id: 'event-1',
          name: jobs,
          data: { documentId: 40, at: '1970-01-01T00:00:00.000Z', tags: ['a'] },
          attempt: 1,
        },
      ]);
    });

    it('runs jobs enqueued before process() once a handler is there', async () => {
      const jobs = uniqueName('early');
      const got = recorder();
      await queue.enqueue(jobs, { n: 1 }, { jobId: 'a' });
      await queue.enqueue(jobs, { n: 2 }, { jobId: 'b' });
      await queue.process(jobs, got.handler);
      await got.until(2);
      expect(got.ids().sort()).toEqual(['a', 'b']);
    });

    it('keeps ids BullMQ would refuse: with ":", integers, "%"', async () => {
      const jobs = uniqueName('ids');
      const got = recorder();
      await queue.process(jobs, got.handler);
      const ids = ['document-40:ingest', '123', '%3A', '%N1', 'e3b0c442-98fc-4c14-9afb-f4c8996fb924'];
      for (const id of ids) await queue.enqueue(jobs, null, { jobId: id });
      await got.until(ids.length);
      expect(got.ids().sort()).toEqual([...ids].sort());
    });

    it('runs a job id once, enqueued twice while waiting and again after it completed', async () => {
      const jobs = uniqueName('dedupe');
      const got = recorder();
      await queue.enqueue(jobs, { copy: 1 }, { jobId: 'event-7' });
      await queue.enqueue(jobs, { copy: 2 }, { jobId: 'event-7' });
      await queue.process(jobs, got.handler, { concurrency: 1 });
      await got.until(1);

      await queue.enqueue(jobs, { copy: 3 }, { jobId: 'event-7' });
      // One at a time, in order: a duplicate would run before this one.
      await queue.enqueue(jobs, { sentinel: true }, { jobId: 'sentinel' });
      await got.until(2);
      expect(got.runs.map((job) => [job.id, job.data])).toEqual([
        ['event-7', { copy: 1 }],
        ['sentinel', { sentinel: true }],
      ]);
    });

    it('retries a failing handler with backoff until it succeeds, counting attempts', async () => {
      const jobs = uniqueName('retry');
      const attempts: number[] = [];
      let sentinelRan = false;
      await queue.process(
        jobs,
        async (job) => {
          if (job.id === 'sentinel') {
            sentinelRan = true;
            return;
          }
          attempts.push(job.attempt);
          if (job.attempt < 3) throw new Error(`not yet (${job.attempt})`);
        },
        { concurrency: 1 },
      );
      await queue.enqueue(jobs, { n: 1 }, { jobId: 'flaky', attempts: 3, backoffMs: 10 });
      await eventually(
        () => attempts.length >= 3,
        () => JSON.stringify(attempts),
      );
      // One at a time: the sentinel runs once the third attempt has finished.
      await queue.enqueue(jobs, null, { jobId: 'sentinel' });
      await eventually(
        () => sentinelRan,
        () => 'sentinel did not run',
      );
      expect(attempts).toEqual([1, 2, 3]);
      expect(failures).toEqual([]);
    });

    it('ends a job that keeps failing as failed after 3 attempts by default, telling onFailed once', async () => {
      const jobs = uniqueName('fails');
      const attempts: number[] = [];
      let sentinelRan = false;
      await queue.process(
        jobs,
        async (job) => {
          if (job.id === 'sentinel') {
            sentinelRan = true;
            return;
          }
          attempts.push(job.attempt);
          throw new Error(`boom ${job.attempt}`);
        },
        { concurrency: 1 },
      );
      await queue.enqueue(jobs, { documentId: 9 }, { jobId: 'doomed', backoffMs: 5 });
      await eventually(
        () => failures.length >= 1,
        () => `attempts ${JSON.stringify(attempts)}`,
      );
      expect(failures).toEqual([{ id: 'doomed', name: jobs, data: { documentId: 9 }, error: 'boom 3', attempts: 3 }]);

      // A failed id stays taken; the sentinel runs after anything enqueued before it.
      await queue.enqueue(jobs, { documentId: 9 }, { jobId: 'doomed' });
      await queue.enqueue(jobs, null, { jobId: 'sentinel' });
      await eventually(
        () => sentinelRan,
        () => 'sentinel did not run',
      );
      expect(attempts).toEqual([1, 2, 3]);
      expect(failures).toHaveLength(1);
    });

    it('given a failed job, when its id is enqueued with rerunIfFailed, then it runs again from its first attempt', async () => {
      const jobs = uniqueName('rerun');
      const attempts: number[] = [];
      let healed = false;
      await queue.process(jobs, async (job) => {
        attempts.push(job.attempt);
        if (!healed) throw new Error('not yet');
      });
      await queue.enqueue(jobs, { documentId: 4 }, { jobId: 'stuck', attempts: 2, backoffMs: 5 });
      await eventually(
        () => failures.length >= 1,
        () => `attempts ${JSON.stringify(attempts)}`,
      );
      expect(attempts).toEqual([1, 2]);

      healed = true;
      await queue.enqueue(jobs, { documentId: 4 }, { jobId: 'stuck', attempts: 2, backoffMs: 5, rerunIfFailed: true });
      await eventually(
        () => attempts.length >= 3,
        () => `attempts ${JSON.stringify(attempts)}`,
      );
      expect(attempts).toEqual([1, 2, 1]);
      expect(failures).toHaveLength(1);
    });

    it('given a completed job, when its id is enqueued with rerunIfFailed, then it does not run again', async () => {
      const jobs = uniqueName('rerun-done');
      const ran: string[] = [];
      await queue.process(jobs, async (job) => void ran.push(job.id), { concurrency: 1 });
      await queue.enqueue(jobs, null, { jobId: 'done' });
      await eventually(
        () => ran.length >= 1,
        () => 'job did not run',
      );
      await queue.enqueue(jobs, null, { jobId: 'done', rerunIfFailed: true });
      await queue.enqueue(jobs, null, { jobId: 'sentinel' });
      await eventually(
        () => ran.includes('sentinel'),
        () => 'sentinel did not run',
      );
      expect(ran).toEqual(['done', 'sentinel']);
    });

    it('honours attempts: 1 (no retry)', async () => {
      const jobs = uniqueName('once');
      const attempts: number[] = [];
      await queue.process(jobs, async (job) => {
        attempts.push(job.attempt);
        throw new Error('no luck');
      });
      await queue.enqueue(jobs, null, { jobId: 'single', attempts: 1 });
      await eventually(
        () => failures.length >= 1,
        () => 'no failure reported',
      );
      expect(attempts).toEqual([1]);
      expect(failures[0]).toMatchObject({ id: 'single', error: 'no luck', attempts: 1 });
    });

    it('stops telling a listener that unsubscribed', async () => {
      const jobs = uniqueName('unlisten');
      const heard: FailedJob[] = [];
      const stop = queue.onFailed((failure) => heard.push(failure));
      stop();
      await queue.process(jobs, async () => {
        throw new Error('x');
      });
      await queue.enqueue(jobs, null, { jobId: 'j', attempts: 1 });
      await eventually(
        () => failures.length >= 1,
        () => 'no failure reported',
      );
      expect(heard).toEqual([]);
    });

    it('with concurrency 1, never runs two jobs at once', async () => {
      const jobs = uniqueName('serial');
      let running = 0;
      let most = 0;
      let done = 0;
      await queue.process(
        jobs,
        async () => {
          running += 1;
          most = Math.max(most, running);
          await sleep(20);
          running -= 1;
          done += 1;
        },
        { concurrency: 1 },
      );
      for (let i = 0; i < 6; i++) await queue.enqueue(jobs, { i }, { jobId: `j${i}` });
      await eventually(
        () => done >= 6,
        () => `${done} done`,
      );
      expect(most).toBe(1);
    });

    it('with concurrency 2, runs two jobs at once', async () => {
      const jobs = uniqueName('parallel');
      // Each handler waits for the other to start: only two at once can finish.
      const started = new Set<string>();
      let done = 0;
      await queue.process(
        jobs,
        async (job) => {
          started.add(job.id);
          await eventually(
            () => started.size >= 2,
            () => `only ${[...started]} started`,
          );
          done += 1;
        },
        { concurrency: 2 },
      );
      await queue.enqueue(jobs, null, { jobId: 'x' });
      await queue.enqueue(jobs, null, { jobId: 'y' });
      await eventually(
        () => done >= 2,
        () => `${done} done`,
      );
    });

    it('repeats a job at its interval', async () => {
      const jobs = uniqueName('repeat');
      const got = recorder();
      await queue.process(jobs, got.handler);
      await queue.repeat(jobs, 100, { sync: 'watched' });
      await got.until(2);
      expect(got.runs.slice(0, 2).map((job) => job.data)).toEqual([{ sync: 'watched' }, { sync: 'watched' }]);
      expect(new Set(got.ids()).size).toBe(got.runs.length); // each run is its own job
      await queue.cancelRepeat(jobs);
    });

    it('re-registering a repeat with a shorter interval takes effect', async () => {
      const jobs = uniqueName('reinterval');
      const got = recorder();
      await queue.process(jobs, got.handler);
      await queue.repeat(jobs, 3_600_000, { v: 1 }); // may run once right away, then not for an hour
      await queue.repeat(jobs, 100, { v: 2 });
      await eventually(
        () => got.runs.filter((job) => (job.data as { v: number }).v === 2).length >= 2,
        () => JSON.stringify(got.runs),
      );
      expect(got.runs.filter((job) => (job.data as { v: number }).v === 1).length).toBeLessThanOrEqual(1);
      await queue.cancelRepeat(jobs);
    });

    it('re-registering a repeat replaces it rather than adding a second', async () => {
      const jobs = uniqueName('replace');
      const got = recorder();
      const version = (job: Job) => (job.data as { v: number }).v;
      await queue.process(jobs, got.handler);
      await queue.repeat(jobs, 100, { v: 1 });
      await got.until(2);
      await queue.repeat(jobs, 100, { v: 2 });
      const mark = got.runs.length;
      await eventually(
        () => got.runs.filter((job) => version(job) === 2).length >= 4,
        () => JSON.stringify(got.runs),
      );
      // One run of the old schedule may already have been taken when re-registering, no more.
      expect(got.runs.slice(mark).filter((job) => version(job) === 1).length).toBeLessThanOrEqual(1);
      await queue.cancelRepeat(jobs);
    });

    it('cancelRepeat stops a schedule', async () => {
      const jobs = uniqueName('cancel');
      const got = recorder();
      await queue.process(jobs, got.handler);
      await queue.repeat(jobs, 50, { n: 1 });
      await got.until(2);
      await queue.cancelRepeat(jobs);
      const mark = got.runs.length;
      // An absence: give a live schedule time for several runs. One already taken may still run.
      await sleep(400);
      expect(got.runs.length - mark).toBeLessThanOrEqual(1);
      await queue.cancelRepeat(jobs); // twice is harmless
    });

    it('close waits for a running handler to finish, and takes no more jobs', async () => {
      const jobs = uniqueName('close');
      const release = gate();
      const entered = gate();
      let finished = false;
      const runs: string[] = [];
      await queue.process(jobs, async (job) => {
        runs.push(job.id);
        entered.open();
        await release.opened;
        finished = true;
      });
      await queue.enqueue(jobs, null, { jobId: 'slow' });
      await entered.opened;

      let closed = false;
      const closing = queue.close().then(() => (closed = true));
      await sleep(100);
      expect(closed).toBe(false);
      release.open();
      await closing;
      expect(finished).toBe(true);
      expect(runs).toEqual(['slow']);
      await expect(queue.enqueue(jobs, null, { jobId: 'too-late' })).rejects.toThrow(/closed/);
    });
  });
}
