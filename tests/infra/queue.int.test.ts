import { BullMqJobQueue, fromBullId, toBullId } from '../../src/infra/queue/bullmq.js';
import { InlineJobQueue } from '../../src/infra/queue/inline.js';
import type { JobQueue } from '../../src/infra/queue/port.js';
import { describeJobQueueContract, eventually, uniqueName } from './queue.contract.js';

/** Set by tests/setup/global-setup.ts (a throwaway redis-server) unless given from outside. */
function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: tests/setup/global-setup.ts should have started redis-server');
  return url;
}

describeJobQueueContract('inline', async () => new InlineJobQueue());

describeJobQueueContract('bullmq', () => BullMqJobQueue.connect(redisUrl()));

describe('BullMqJobQueue across instances (as across processes)', () => {
  let first: JobQueue;
  let second: JobQueue;

  beforeEach(async () => {
    first = await BullMqJobQueue.connect(redisUrl());
    second = await BullMqJobQueue.connect(redisUrl());
  });

  afterEach(async () => {
    await Promise.all([first?.close(), second?.close()]);
  });

  it('a job enqueued by one instance runs on the other, and its id stays taken there', async () => {
    const jobs = uniqueName('cross');
    const runs: unknown[] = [];
    await second.process(jobs, async (job) => {
      runs.push(job.data);
    });
    await first.enqueue(jobs, { from: 'first' }, { jobId: 'event-1' });
    await eventually(
      () => runs.length >= 1,
      () => 'job did not run',
    );
    await second.enqueue(jobs, { from: 'second' }, { jobId: 'event-1' });
    await first.enqueue(jobs, { sentinel: true }, { jobId: 'sentinel' });
    await eventually(
      () => runs.length >= 2,
      () => JSON.stringify(runs),
    );
    expect(runs).toEqual([{ from: 'first' }, { sentinel: true }]);
  });

  it('a schedule registered by two instances runs once per interval, not twice', async () => {
    const jobs = uniqueName('shared-repeat');
    const ids: string[] = [];
    const record = async (job: { id: string }) => void ids.push(job.id);
    await first.process(jobs, record);
    await second.process(jobs, record);
    await first.repeat(jobs, 100, { n: 1 });
    await second.repeat(jobs, 100, { n: 1 });
    await eventually(
      () => ids.length >= 4,
      () => JSON.stringify(ids),
    );
    // Two schedules would each make their own runs; one schedule makes one run per slot.
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.map((id) => id.replace(/:\d+$/, ''))).size).toBe(1);
    await first.cancelRepeat(jobs);
  });

  it('refuses to connect to an unreachable Redis instead of retrying forever', async () => {
    await expect(BullMqJobQueue.connect('redis://127.0.0.1:1')).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('BullMQ job id mapping', () => {
  it('round-trips every id and produces none BullMQ refuses', () => {
    for (const id of ['plain', 'a:b', '123', '-5', '%', '%3A', '%25', '%N1', 'x%3Ay:z', '']) {
      const mapped = toBullId(id);
      expect(mapped).not.toContain(':');
      expect(`${parseInt(mapped, 10)}`).not.toBe(mapped);
      expect(fromBullId(mapped)).toBe(id);
    }
  });

  it('leaves event UUIDs as they are', () => {
    expect(toBullId('e3b0c442-98fc-4c14-9afb-f4c8996fb924')).toBe('e3b0c442-98fc-4c14-9afb-f4c8996fb924');
  });
});
