import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateUserLog } from '../support/generated-log.js';
import { exited, spawnServer } from '../support/process.js';

/** Enough events that projecting them keeps a server busy for seconds, even on a fast machine. */
const EVENTS = 200_000;

interface Readiness {
  status: string;
  headPosition: number | null;
  projectedPosition: number;
  projectionLagMs: number | null;
  catchingUp: boolean;
}

describe('a server with a long log still to project', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'chronicle-catch-up-'));
    await generateUserLog(path.join(dataDir, 'events.sqlite'), EVENTS);
  }, 120_000);

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('listens at once: /healthz answers 200 while /readyz answers 503 with its progress, until caught up', async () => {
    // given a log of 200,000 events and empty read models
    // when the server starts (spawnServer resolves at the first /healthz 200)
    const { child, url } = await spawnServer({ DATA_DIR: dataDir });
    try {
      // then, right after, it is alive but not ready, and says how far it got
      const healthz = await fetch(`${url}/healthz`);
      const readyz = await fetch(`${url}/readyz`);
      expect(healthz.status).toBe(200);
      expect(readyz.status).toBe(503);
      const catchingUp = (await readyz.json()) as Readiness;
      expect(catchingUp).toMatchObject({ status: 'not ready', headPosition: EVENTS });
      expect(catchingUp.projectedPosition).toBeLessThan(EVENTS);
      expect(catchingUp.catchingUp).toBe(true);
      expect(catchingUp.projectionLagMs).toBeGreaterThan(0);

      // and it answers 200 with the whole log projected once caught up
      let ready: Readiness | null = null;
      while (!ready) {
        const res = await fetch(`${url}/readyz`);
        if (res.status === 200) ready = (await res.json()) as Readiness;
        else await new Promise((r) => setTimeout(r, 100));
      }
      expect(ready).toMatchObject({
        status: 'ready',
        headPosition: EVENTS,
        projectedPosition: EVENTS,
        catchingUp: false,
      });
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
  }, 180_000);
});
