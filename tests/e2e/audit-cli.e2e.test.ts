/**
 * `npx chronicle verify` and `npx chronicle events export|tail` against a real DATA_DIR written by a
 * real server: the chain verifies from the log and from an export file, and one edited byte fails it
 * at that event's position.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-audit-cli-'));
const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
const chronicle = (...args: string[]) =>
  run(process.execPath, ['bin/chronicle.js', ...args], { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 });
const file = (name: string) => path.join(dataDir, name);
const lines = (name: string) =>
  fs
    .readFileSync(file(name), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer({}, dataDir);
  admin = (await registerAndLogin(server, 'auditor')).access;
  for (const name of ['One', 'Two', 'Three']) await api(server, 'POST', '/api/workspaces/', { name }, bearer(admin));
}, 60_000);
afterAll(async () => {
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('chronicle verify and events export', () => {
  it('given an untouched log, then verify exits 0 with the event count and the head hash the API signs', async () => {
    const head = (await api(server, 'GET', '/api/system/audit/head/', undefined, bearer(admin))).body;
    const { stdout } = await chronicle('verify');
    expect(stdout).toContain(`OK: ${head.position} events; head position ${head.position}, hash ${head.hash}`);
  }, 120_000);

  it('given a full NDJSON export, then it verifies from the file alone, and a partial one with the hash before it', async () => {
    await chronicle('events', 'export', '--out', file('all.ndjson'));
    const all = lines('all.ndjson');
    expect(all.length).toBe(await server.head());
    const last = all[all.length - 1];
    expect((await chronicle('verify', '--file', file('all.ndjson'))).stdout).toContain(
      `OK: ${all.length} events; head position ${last.position}, hash ${last.hash}`,
    );

    await chronicle('events', 'export', '--from', '3', '--out', file('tail.ndjson'));
    expect(lines('tail.ndjson')[0].position).toBe(3);
    expect((await chronicle('verify', '--file', file('tail.ndjson'), '--previous-hash', all[1].hash)).stdout).toContain(
      `hash ${last.hash}`,
    );
    await expect(chronicle('verify', '--file', file('tail.ndjson'))).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('FAILED at position 3'),
    });
  }, 120_000);

  it('given an export file with one byte changed, then verify --file fails at that position', async () => {
    const text = fs.readFileSync(file('all.ndjson'), 'utf8').split('\n');
    const line = text[4]!;
    const at = line.indexOf('"stream":"') + '"stream":"'.length;
    text[4] = `${line.slice(0, at)}${line[at] === 'x' ? 'y' : 'x'}${line.slice(at + 1)}`; // one byte of the stream name
    fs.writeFileSync(file('edited.ndjson'), text.join('\n'));
    await expect(chronicle('verify', '--file', file('edited.ndjson'))).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('FAILED at position 5'),
    });
  }, 120_000);

  it('given filters and csv, then only the matching events are written, one row each after the header', async () => {
    const { stdout } = await chronicle('events', 'export', '--type', 'WorkspaceCreated', '--format', 'csv');
    const rows = stdout.trim().split('\n');
    expect(rows[0]).toBe('position,id,stream,revision,type,event,data,metadata,time,hash');
    expect(rows.slice(1)).toHaveLength(3);
    for (const row of rows.slice(1)) expect(row).toContain(',WorkspaceCreated,workspace_created,');
    await expect(chronicle('events', 'export', '--from', 'last week')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--from must be'),
    });
  }, 120_000);

  it('given tail is running, when events are appended, then it prints them as NDJSON lines of the asked type', async () => {
    const child = spawn(process.execPath, ['bin/chronicle.js', 'events', 'tail', '--type', 'WorkspaceCreated'], {
      cwd: ROOT,
      env,
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      // Appended until one is printed: tail follows from the head it saw on starting, which may be after the first.
      for (let i = 0; !out.includes('\n'); i++) {
        if (i > 600) throw new Error('tail printed nothing');
        await api(server, 'POST', '/api/workspaces/', { name: `Tailed ${i}` }, bearer(admin));
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    const printed = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const e of printed)
      expect(e).toMatchObject({
        type: 'WorkspaceCreated',
        event: 'workspace_created',
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
  }, 120_000);

  it('given one byte of one stored event edited in the SQLite file, then verify fails naming its position', async () => {
    const db = new Database(file('events.sqlite'));
    const target = db
      .prepare<[], { position: number; data: string }>(
        "SELECT position, data FROM events WHERE type = 'WorkspaceCreated' LIMIT 1",
      )
      .get()!;
    db.prepare('UPDATE events SET data = ? WHERE position = ?').run(
      target.data.replace('One', 'One'.replace('O', 'o')),
      target.position,
    );
    db.close();
    await expect(chronicle('verify')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`FAILED at position ${target.position}`),
    });
  }, 120_000);
});
