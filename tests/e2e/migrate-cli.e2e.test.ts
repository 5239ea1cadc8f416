/**
 * `npx chronicle migrate --to sqlite:<path>`: a 100,000-event log copied into a second embedded store,
 * through a copy killed part way and run again; a target with events of its own refused; and a replay
 * of the copy building the same read models as one of the original.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import type { RecordedEvent } from '../../src/infra/eventstore/port.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { SNAPSHOTS } from '../../src/projections/time-travel/snapshots.js';
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import { allEvents, generateWorkspaceLog } from '../support/event-log.js';
import { exited } from '../support/process.js';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const WORKSPACES = 10_000;
const EVENTS_EACH = 10;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-migrate-cli-'));
const sourceDir = path.join(tmp, 'source');
const targetDir = path.join(tmp, 'target');
const eventsFile = (dataDir: string) => path.join(dataDir, 'events.sqlite');
const envFor = (dataDir: string) => ({
  ...process.env,
  DATA_DIR: dataDir,
  JWT_SECRET: 'migrate-cli-secret-migrate-cli-secret',
  LOG_LEVEL: 'warn',
});
const chronicle = (args: string[], dataDir = sourceDir) =>
  run(process.execPath, ['bin/chronicle.js', ...args], { cwd: ROOT, env: envFor(dataDir) });

async function eventsIn(file: string): Promise<RecordedEvent[]> {
  const store = SqliteEventStore.open(file);
  try {
    return await allEvents(store);
  } finally {
    await store.close();
  }
}

/** Rows in an events file, read beside the process writing it. */
function countEvents(file: string): number {
  if (!fs.existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  } catch {
    return 0; // the table is not created yet
  } finally {
    db.close();
  }
}

async function readModels(dataDir: string): Promise<Record<string, unknown[]>> {
  const db = SqliteReadStore.open(path.join(dataDir, 'readmodels.sqlite'));
  try {
    const out: Record<string, unknown[]> = {};
    for (const name of (await db.listCollections()).sort()) {
      const docs = (await db.collection(name).find({})).sort((a, b) => String(a._id).localeCompare(String(b._id)));
      // A snapshot's record says when it was taken: the same snapshot, taken by two replays at two moments.
      out[name] = name === SNAPSHOTS ? docs.map(({ taken_at: _takenAt, ...record }) => record) : docs;
    }
    return out;
  } finally {
    await db.close();
  }
}

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('chronicle migrate', () => {
  beforeAll(async () => {
    fs.mkdirSync(sourceDir, { recursive: true });
    const source = SqliteEventStore.open(eventsFile(sourceDir));
    await generateWorkspaceLog(source, WORKSPACES, EVENTS_EACH);
    await source.close();
  }, 120_000);

  it('given a 100,000-event log, when a copy is killed part way and run again, then the target holds the same events, each once, in the same order', async () => {
    const target = eventsFile(targetDir);
    const killed = spawn(
      process.execPath,
      ['bin/chronicle.js', 'migrate', '--to', `sqlite:${target}`, '--batch-size', '1000'],
      {
        cwd: ROOT,
        env: envFor(sourceDir),
        stdio: 'ignore',
      },
    );
    const deadline = Date.now() + 60_000;
    while (countEvents(target) < 1000 && killed.exitCode === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    killed.kill('SIGKILL');
    await exited(killed);
    const partial = countEvents(target);
    expect(partial).toBeGreaterThanOrEqual(1000);
    expect(partial).toBeLessThan(WORKSPACES * EVENTS_EACH);

    const { stdout } = await chronicle(['migrate', '--to', `sqlite:${target}`, '--batch-size', '1000']);
    expect(stdout).toContain(
      `Copied ${WORKSPACES * EVENTS_EACH - partial} events after the ${partial} events an earlier run copied`,
    );

    const [original, copy] = [await eventsIn(eventsFile(sourceDir)), await eventsIn(target)];
    expect(copy).toHaveLength(WORKSPACES * EVENTS_EACH);
    expect(new Set(copy.map((e) => e.id)).size).toBe(copy.length);
    for (let i = 0; i < original.length; i++) {
      const [o, c] = [original[i]!, copy[i]!];
      const same =
        o.id === c.id &&
        o.type === c.type &&
        o.streamName === c.streamName &&
        o.revision === c.revision &&
        o.createdAt.getTime() === c.createdAt.getTime() &&
        JSON.stringify(o.data) === JSON.stringify(c.data) &&
        JSON.stringify(o.metadata) === JSON.stringify(c.metadata);
      if (!same) throw new Error(`event ${i + 1} differs: ${JSON.stringify(o)} vs ${JSON.stringify(c)}`);
    }

    const again = await chronicle(['migrate', '--to', `sqlite:${target}`]);
    expect(again.stdout).toContain(`Copied 0 events after the ${WORKSPACES * EVENTS_EACH} events`);
    expect(countEvents(target)).toBe(WORKSPACES * EVENTS_EACH);
  }, 300_000);

  it('given the copied log, when both are replayed, then they hold the same read models', async () => {
    await chronicle(['replay'], sourceDir);
    await chronicle(['replay'], targetDir);
    const [original, copy] = [await readModels(sourceDir), await readModels(targetDir)];
    expect(original.workspaces).toHaveLength(WORKSPACES);
    expect(copy).toEqual(original);
  }, 300_000);

  it('given a copy under way, when it gets SIGINT, then it stops after the batch in hand and says how to go on', async () => {
    const target = path.join(tmp, 'interrupted', 'events.sqlite');
    const copy = spawn(
      process.execPath,
      ['bin/chronicle.js', 'migrate', '--to', `sqlite:${target}`, '--batch-size', '1000'],
      {
        cwd: ROOT,
        env: envFor(sourceDir),
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let stdout = '';
    copy.stdout!.on('data', (d) => (stdout += d));
    const deadline = Date.now() + 60_000;
    while (countEvents(target) < 1000 && copy.exitCode === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    copy.kill('SIGINT');
    await exited(copy);

    expect(copy.exitCode).toBe(130);
    expect(stdout).toMatch(/Stopped after copying \d+ events; run the same command again to go on\./);
    const copied = countEvents(target);
    expect(copied % 1000).toBe(0); // whole batches only
    expect(copied).toBeLessThan(WORKSPACES * EVENTS_EACH);
  }, 120_000);

  it('given a target holding an event of its own, when migrating into it, then it is refused and the target is left as it was', async () => {
    const foreign = path.join(tmp, 'foreign', 'events.sqlite');
    fs.mkdirSync(path.dirname(foreign), { recursive: true });
    const store = SqliteEventStore.open(foreign);
    await store.appendToStream(
      'settings-custom_app_name',
      [
        {
          id: '6f1c9a8e-8a55-4c39-9a36-0d6c0c0e5b1a',
          type: 'SettingChanged',
          data: { label: 'custom_app_name', value: 'Elsewhere' },
          metadata: {
            actorId: null,
            actorType: 'system',
            correlationId: 'c',
            causationId: null,
            ip: null,
            userAgent: null,
            schemaVersion: 1,
          },
        },
      ],
      'no_stream',
    );
    await store.close();

    await expect(chronicle(['migrate', '--to', `sqlite:${foreign}`])).rejects.toMatchObject({
      stderr: expect.stringContaining('The target holds events this copy did not write'),
    });
    expect(countEvents(foreign)).toBe(1);
  }, 60_000);
});
