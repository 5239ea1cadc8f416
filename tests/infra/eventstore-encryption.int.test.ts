/**
 * The encrypting event store (infra/eventstore/encrypting.ts) over the embedded one: the whole event
 * store contract through it, and what it adds: personal values stored sealed and read back as they
 * were, "[erased]" once their key is destroyed, the hash chain over what is stored, and reservation
 * streams of usernames and emails stored under a keyed digest of the value.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { verifyLog } from '../../src/audit/verify-log.js';
import { ERASED } from '../../src/domain/shared/personal-data.js';
import { EncryptingEventStore } from '../../src/infra/eventstore/encrypting.js';
import type { EventMetadata, EventToAppend, RecordedEvent } from '../../src/infra/eventstore/port.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { CachedKeyStore } from '../../src/infra/keystore/cached.js';
import { SqliteKeyStore } from '../../src/infra/keystore/sqlite.js';
import { describeEventStoreContract } from './eventstore.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'chronicle-encryption-'));
const newFile = () => join(dir, `${randomUUID()}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The decorated store, closing its key store with it. */
function encrypting(file = newFile()) {
  const inner = SqliteEventStore.open(file);
  const keys = new CachedKeyStore(SqliteKeyStore.open(newFile()));
  const store = new EncryptingEventStore(inner, keys);
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await keys.close();
  };
  return { store, inner, keys };
}

describeEventStoreContract('EncryptingEventStore over SqliteEventStore', async () => encrypting().store);

const metadata = (
  actorId: string | null,
  ip = '203.0.113.77',
  userAgent = 'Mozilla/5.0 (Distinctive Agent)',
): EventMetadata => ({
  actorId,
  actorType: 'user',
  correlationId: randomUUID(),
  causationId: null,
  ip,
  userAgent,
  schemaVersion: 1,
});
const registered = (userId: number, username: string, email: string): EventToAppend => ({
  id: randomUUID(),
  type: 'UserRegistered',
  data: { userId, username, email, passwordHash: 'h', role: 'default', registeredAt: '2026-01-01T00:00:00.000Z' },
  metadata: metadata(null),
});
const asked = (chatId: number, userId: number, prompt: string): EventToAppend => ({
  id: randomUUID(),
  type: 'ChatRequested',
  data: { chatId, workspaceId: 1, threadId: null, userId, prompt, mode: 'chat', at: '2026-01-01T00:00:00.000Z' },
  metadata: metadata(String(userId)),
});
const answered = (chatId: number, userId: number, response: string): EventToAppend => ({
  id: randomUUID(),
  type: 'ChatCompleted',
  data: { chatId, workspaceId: 1, response, sources: [], at: '2026-01-01T00:00:01.000Z' },
  metadata: metadata(String(userId)),
});

function open() {
  const file = newFile();
  const { store, inner, keys } = encrypting(file);
  const rawRows = () => {
    const db = new Database(file, { readonly: true });
    try {
      const rows = db
        .prepare<[], { stream: string; data: string; metadata: string }>('SELECT stream, data, metadata FROM events')
        .all();
      return rows.map((r) => `${r.stream}\n${r.data}\n${r.metadata}`).join('\n');
    } finally {
      db.close();
    }
  };
  return { store, inner, keys, rawRows };
}

describe('personal data at the event store boundary', () => {
  it('given a user and a chat appended, then no plaintext is stored, and every read shows it as appended', async () => {
    const { store, rawRows } = open();
    await store.appendToStream('user-5', [registered(5, 'zed_quill', 'zed.quill@example.org')], 'no_stream');
    await store.appendToStream(
      'chat-1',
      [asked(1, 5, 'What is the quokka protocol?'), answered(1, 5, 'A marsupial handshake.')],
      'no_stream',
    );

    const stored = rawRows();
    for (const secret of [
      'zed_quill',
      'zed.quill@example.org',
      'quokka',
      'marsupial',
      '203.0.113.77',
      'Distinctive Agent',
    ])
      expect(stored).not.toContain(secret);
    expect(stored).toContain('"$sealed":"aes-256-gcm"');

    const [user] = await store.readStream('user-5');
    expect(user!.data).toMatchObject({ username: 'zed_quill', email: 'zed.quill@example.org' });
    expect(user!.metadata).toMatchObject({ ip: '203.0.113.77', userAgent: 'Mozilla/5.0 (Distinctive Agent)' });
    const all = await store.readAll();
    expect(all.map((e) => e.data.prompt ?? e.data.response ?? e.data.email)).toEqual([
      'zed.quill@example.org',
      'What is the quokka protocol?',
      'A marsupial handshake.',
    ]);
    const lean = await store.readAll({ lean: true });
    expect(lean[1]!.data.prompt).toBe('What is the quokka protocol?');
    await store.close();
  });

  it('given a destroyed key, then its subject reads "[erased]" everywhere, and others read as before', async () => {
    const { store, keys } = open();
    await store.appendToStream('user-5', [registered(5, 'gone_user', 'gone@example.org')], 'no_stream');
    await store.appendToStream('user-6', [registered(6, 'kept_user', 'kept@example.org')], 'no_stream');
    await store.appendToStream('chat-1', [asked(1, 5, 'forget me'), answered(1, 5, 'forgotten')], 'no_stream');
    const seen: RecordedEvent[] = [];
    await keys.destroy('user-5');

    const sub = store.subscribeToAll({}, async (events) => void seen.push(...events));
    const all = await store.readAll();
    expect(all[0]!.data).toMatchObject({ userId: 5, username: ERASED, email: ERASED, role: 'default' });
    expect(all[0]!.metadata).toMatchObject({ ip: ERASED, userAgent: ERASED });
    expect(all[1]!.data).toMatchObject({ username: 'kept_user', email: 'kept@example.org' });
    expect([all[2]!.data.prompt, all[3]!.data.response]).toEqual([ERASED, ERASED]);
    expect((await store.readStream('chat-1')).map((e) => e.data.prompt ?? e.data.response)).toEqual([ERASED, ERASED]);
    for (let i = 0; i < 200 && seen.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
    expect(seen.map((e) => e.data.username ?? e.data.prompt ?? e.data.response)).toEqual([
      ERASED,
      'kept_user',
      ERASED,
      ERASED,
    ]);
    await sub.close();

    // Later events of an erased subject are never sealed under a new key: they are stored erased.
    await store.appendToStream('chat-2', [asked(2, 5, 'one more')], 'no_stream');
    expect((await store.readStream('chat-2'))[0]!.data.prompt).toBe(ERASED);
    await store.close();
  });

  it('given an erasure, then the stored events and their chain are untouched and still verify', async () => {
    const { store, keys } = open();
    await store.appendToStream('user-5', [registered(5, 'chain_user', 'chain@example.org')], 'no_stream');
    await store.appendToStream('chat-1', [asked(1, 5, 'hash me')], 'no_stream');
    const before = await store.readStored!({ maxCount: 100 });
    await keys.destroy('user-5');
    expect(await store.readStored!({ maxCount: 100 })).toEqual(before);
    const verdict = await verifyLog(store);
    expect(verdict.ok).toBe(true);
    expect(verdict.verifier.count).toBe(2);
    await store.close();
  });

  it('given a sealed value moved into another event, then it does not open there', async () => {
    const { store, inner } = open();
    await store.appendToStream('chat-1', [asked(1, 5, 'mine alone')], 'no_stream');
    const [original] = await inner.readStream('chat-1');
    await inner.appendToStream(
      'chat-2',
      [{ ...asked(2, 5, 'x'), data: { ...original!.data, chatId: 2 } }],
      'no_stream',
    );
    expect((await store.readStream('chat-2'))[0]!.data.prompt).toBe(ERASED);
    await store.close();
  });

  it('given username and email reservations, then their streams are stored under a digest, found by the value', async () => {
    const { store, inner, rawRows } = open();
    const reserved = (owner: string): EventToAppend => ({
      id: randomUUID(),
      type: 'Reserved',
      data: { owner },
      metadata: metadata(null),
    });
    await store.appendToStream('username-quill_writer', [reserved('5')], 'no_stream');
    await store.appendToStream('email-quill.writer@example.org', [reserved('5')], 'no_stream');
    expect(rawRows()).not.toMatch(/quill/);
    expect((await store.readStream('username-quill_writer'))[0]!.data.owner).toBe('5');
    expect(await inner.readStream('username-quill_writer')).toEqual([]);
    const [digested] = await store.readAll();
    expect(digested!.streamName).toMatch(/^username-~[A-Za-z0-9_-]{43}$/);
    await store.close();
  });

  it('given a reservation written before encryption, then it stays on its plaintext stream, read and written there', async () => {
    const { store, inner } = open();
    const reserved = (type: string): EventToAppend => ({
      id: randomUUID(),
      type,
      data: { owner: '3' },
      metadata: metadata(null),
    });
    await inner.appendToStream('username-old_timer', [reserved('Reserved')], 'no_stream');
    expect((await store.readStream('username-old_timer')).map((e) => e.type)).toEqual(['Reserved']);
    await store.appendToStream('username-old_timer', [reserved('Released')], 0);
    expect((await inner.readStream('username-old_timer')).map((e) => e.type)).toEqual(['Reserved', 'Released']);
    await store.close();
  });
});
