/**
 * `chronicle erase-legacy`: a log written before personal data was sealed is copied into a new file
 * with it sealed ("[erased]" for subjects already erased), the original untouched, the copy's chain
 * fresh and verifying, and the copy read through the encrypting store as the original was.
 */
import { createHash, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { verifyLog } from '../../src/audit/verify-log.js';
import { ERASED } from '../../src/domain/shared/personal-data.js';
import { EncryptingEventStore } from '../../src/infra/eventstore/encrypting.js';
import type { EventMetadata, EventToAppend } from '../../src/infra/eventstore/port.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { CachedKeyStore } from '../../src/infra/keystore/cached.js';
import { SqliteKeyStore } from '../../src/infra/keystore/sqlite.js';
import { openSealingCopy } from '../../src/stores.js';
import { loadConfig } from '../../src/config.js';
import { eraseLegacy } from '../../src/migrate/erase-legacy.js';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-erase-legacy-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const metadata = (actorId: string | null): EventMetadata => ({
  actorId,
  actorType: 'user',
  correlationId: randomUUID(),
  causationId: null,
  ip: '198.51.100.23',
  userAgent: 'LegacyAgent/1.0',
  schemaVersion: 1,
});
const event = (type: string, data: Record<string, unknown>, actorId: string | null = null): EventToAppend => ({
  id: randomUUID(),
  type,
  data,
  metadata: metadata(actorId),
});
const registered = (userId: number, username: string) =>
  event('UserRegistered', {
    userId,
    username,
    email: `${username}@legacy.example`,
    passwordHash: 'h',
    role: 'default',
    registeredAt: '2025-01-01T00:00:00.000Z',
  });

/** What the command does, in process: the stores as the composition root opens them for DATA_DIR. */
async function sealInto(dataDir: string, out: string) {
  const copy = await openSealingCopy(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), out);
  try {
    return await eraseLegacy(copy);
  } finally {
    await copy.close();
  }
}

const fileHash = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const plaintextIn = (file: string, needle: string) => {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare<[], { s: string }>('SELECT stream || data || metadata AS s FROM events').all();
    return rows.some((r) => r.s.includes(needle));
  } finally {
    db.close();
  }
};

/** A DATA_DIR as an older version left it: plaintext events, then some sealed after the upgrade. */
async function legacyDataDir(name: string) {
  const dataDir = path.join(dir, name);
  fs.mkdirSync(dataDir);
  const file = path.join(dataDir, 'events.sqlite');
  const plain = SqliteEventStore.open(file);
  await plain.appendToStream('username-lena_legacy', [event('Reserved', { owner: '1' })], 'no_stream');
  await plain.appendToStream('user-1', [registered(1, 'lena_legacy')], 'no_stream');
  await plain.appendToStream('user-2', [registered(2, 'otto_erased')], 'no_stream');
  const chat = event(
    'ChatRequested',
    {
      chatId: 1,
      workspaceId: 1,
      threadId: null,
      userId: 1,
      prompt: 'legacy question about narwhals',
      mode: 'chat',
      at: '2025-01-01T00:00:00.000Z',
    },
    '1',
  );
  await plain.appendToStream('chat-1', [chat], 'no_stream');
  await plain.close();

  const keys = new CachedKeyStore(SqliteKeyStore.open(path.join(dataDir, 'keys.sqlite')));
  const upgraded = new EncryptingEventStore(SqliteEventStore.open(file), keys);
  await upgraded.appendToStream('user-3', [registered(3, 'nina_sealed')], 'no_stream');
  await upgraded.close();
  await keys.destroy('user-2'); // erased after the upgrade: their legacy events still hold plaintext
  return { dataDir, file, keys };
}

describe('erase-legacy', () => {
  it('given a legacy log, then the copy seals it, erases the erased, verifies, and the original is untouched', async () => {
    const { dataDir, file, keys } = await legacyDataDir('direct');
    expect(plaintextIn(file, 'narwhals')).toBe(true);
    const before = fileHash(file);
    const sealedBefore = new Database(file, { readonly: true })
      .prepare<[], { data: string }>("SELECT data FROM events WHERE stream = 'user-3'")
      .get()!.data;
    const out = path.join(dataDir, 'events.sealed.sqlite');

    const result = await sealInto(dataDir, out);

    expect(result).toMatchObject({ events: 5, erased: 4, renamedStreams: 1 });
    // Sealed: the reservation's ip and agent (2), lena's name, email, ip, agent (4), the prompt, ip, agent (3);
    // erased: otto's four; nina's were sealed already.
    expect(result.sealed).toBe(9);
    expect(fileHash(file)).toBe(before);
    for (const needle of ['lena_legacy', 'otto_erased', 'narwhals', '198.51.100.23', 'LegacyAgent'])
      expect(plaintextIn(out, needle)).toBe(false);

    const copy = new EncryptingEventStore(SqliteEventStore.open(out), keys);
    const verdict = await verifyLog(copy);
    expect(verdict.ok).toBe(true);
    expect(result.headHash).toBe(verdict.verifier.headHash);
    const all = await copy.readAll();
    expect(all.map((e) => e.data.username ?? e.data.prompt ?? e.data.owner)).toEqual([
      '1',
      'lena_legacy',
      ERASED,
      'legacy question about narwhals',
      'nina_sealed',
    ]);
    expect(all[2]!.metadata.ip).toBe(ERASED);
    expect((await copy.readStream('username-lena_legacy'))[0]!.data.owner).toBe('1');
    const sealedAfter = (await copy.readStored!({ maxCount: 10 })).find((e) => e.stream === 'user-3')!.data;
    expect(sealedAfter).toBe(sealedBefore); // already sealed: copied byte for byte
    await copy.close();
    await expect(sealInto(dataDir, out)).rejects.toThrow(/exists/);
    await keys.close();
  });

  it('given `npx chronicle erase-legacy`, then it prints what it did and writes the new file', async () => {
    const { dataDir, file, keys } = await legacyDataDir('cli');
    await keys.close();
    const out = path.join(dataDir, 'copy.sqlite');
    const { stdout } = await run(process.execPath, ['bin/chronicle.js', 'erase-legacy', '--out', out], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    });
    expect(stdout).toContain(`Wrote 5 events to ${out}:`);
    expect(stdout).toContain('9 plaintext personal values sealed');
    expect(stdout).toContain('4 written as "[erased]"');
    expect(stdout).toMatch(/The copy verifies: head position 5, hash [0-9a-f]{64}/);
    expect(plaintextIn(out, 'narwhals')).toBe(false);
    expect(plaintextIn(file, 'narwhals')).toBe(true);
  }, 180_000);
});
