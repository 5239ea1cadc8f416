'use strict';
/**
 * Fills a fresh SQLite event store with `users` UserRegistered events followed by `updates`
 * UserUpdated events spread round-robin over those users, as the domain writes them:
 * - the table is created by dist's SqliteEventStore.open (same layout, indexes and pragmas);
 * - streams `user-<id>`, revisions 0.. per stream, event ids UUIDv5 from (commandId, stream, 0)
 *   exactly like commands/shared/handle.ts, metadata shaped like commands/shared/context.ts
 *   metadataFor (registration: no actor; updates: actor admin "1"), data shaped like
 *   domain/identity/events.ts (argon2id-shaped password hashes, ISO timestamps);
 * - rows are inserted with plain SQL in large transactions (generation speed is not measured).
 *
 * The value written by update k is a pure function (`limitFor`), so the final daily_message_limit
 * of every user is known without keeping the events in memory.
 */
const crypto = require('node:crypto');
const Database = require('better-sqlite3');
const { dist } = require('../lib/common.js');
const { eventLogsFromEventStore } = require('./projections.js');

const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const T0 = Date.parse('2025-01-01T00:00:00.000Z');

/** daily_message_limit set by the r-th update (0-based round) of the user with index u (0-based). */
const limitFor = (u, round) => (u * 31 + (round + 1) * 17) % 1_000_000;
/** Consecutive rounds differ by 17 (mod 1e6), so every update really changes something. */
function expectedFinal(users, updates) {
  const rounds = Math.floor(updates / users);
  const rest = updates % users;
  return (u) => {
    const last = u < rest ? rounds : rounds - 1; // round of the user's last update, -1 when none
    return last < 0 ? null : limitFor(u, last);
  };
}

function fakeArgon2(i) {
  const salt = crypto.createHash('sha256').update(`salt${i}`).digest('base64').replace(/=+$/, '').slice(0, 22);
  const hash = crypto.createHash('sha256').update(`hash${i}`).digest('base64').replace(/=+$/, '');
  return `$argon2id$v=19$m=19456,p=1,t=2$${salt}$${hash}`;
}

/**
 * UUIDv5 exactly as dist/commands/shared/event-ids.js `eventId` computes it (checked against it at
 * start), without re-parsing the namespace for every event.
 */
function fastEventId(eventId) {
  const NAMESPACE = '6f1c1b9e-3c55-4d8e-9c1a-2f5e8e0a9b71';
  const ns = Buffer.from(NAMESPACE.replace(/-/g, ''), 'hex');
  const v5 = (commandId, stream, index) => {
    const b = crypto.createHash('sha1').update(ns).update(`${commandId}|${stream}|${index}`, 'utf8').digest();
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = b.toString('hex', 0, 16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  };
  for (const probe of [
    ['a', 'user-1', 0],
    [crypto.randomUUID(), 'user-12345', 0],
  ]) {
    if (v5(...probe) !== eventId(...probe)) throw new Error('fastEventId disagrees with dist eventId');
  }
  return v5;
}

async function generate(file, { users, updates, batch = 50_000, onProgress = () => {} }) {
  const { SqliteEventStore } = dist('infra/eventstore/sqlite.js');
  const v5 = fastEventId(dist('commands/shared/event-ids.js').eventId);
  const { SCHEMA_VERSION } = dist('commands/shared/context.js');
  // The adapter creates the schema exactly as the server would.
  const store = SqliteEventStore.open(file);
  // With the indexes the event-log reader adds where dist has it (the shipped embedded schema).
  if (eventLogsFromEventStore()) dist('infra/eventstore/sqlite-event-logs.js').SqliteEventLogReader.over(store);
  await store.close();

  const db = new Database(file);
  // Generation only (its speed is not measured): no journal, no syncs, a cache big enough for the
  // random-order UNIQUE(id) index. The file goes back to WAL at the end, as the adapter keeps it.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  db.pragma('locking_mode = EXCLUSIVE');
  const insert = db.prepare(
    'INSERT INTO events (id, stream, revision, type, data, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const total = users + updates;
  // metadataFor(ctx): registration has no actor yet; updates are made by the admin (user 1).
  const meta = (actorId, commandId) =>
    JSON.stringify({
      actorId,
      actorType: 'user',
      correlationId: crypto.randomUUID(),
      causationId: commandId,
      ip: '127.0.0.1',
      userAgent: USER_AGENT,
      schemaVersion: SCHEMA_VERSION,
    });
  const at = (i) => new Date(T0 + i * 1000).toISOString();

  /** Event i of the log (0-based): registrations first, then updates round-robin over the users. */
  function row(i) {
    const commandId = crypto.randomUUID();
    const when = at(i);
    if (i < users) {
      const userId = i + 1;
      const stream = `user-${userId}`;
      const data = {
        userId,
        username: `user${userId}`,
        email: `user${userId}@example.com`,
        passwordHash: fakeArgon2(userId),
        role: userId === 1 ? 'admin' : 'default',
        registeredAt: when,
      };
      insert.run(
        v5(commandId, stream, 0),
        stream,
        0,
        'UserRegistered',
        JSON.stringify(data),
        meta(null, commandId),
        when,
      );
    } else {
      const k = i - users;
      const u = k % users;
      const round = Math.floor(k / users);
      const userId = u + 1;
      const stream = `user-${userId}`;
      const data = { userId, changes: { dailyMessageLimit: limitFor(u, round) }, at: when };
      insert.run(
        v5(commandId, stream, 0),
        stream,
        round + 1,
        'UserUpdated',
        JSON.stringify(data),
        meta('1', commandId),
        when,
      );
    }
  }
  const insertRange = db.transaction((from, to) => {
    for (let i = from; i < to; i++) row(i);
  });
  for (let from = 0; from < total; from += batch) {
    const to = Math.min(total, from + batch);
    insertRange(from, to);
    onProgress(to, total);
  }
  db.pragma('locking_mode = NORMAL');
  db.pragma('journal_mode = WAL');
  const count = db.prepare('SELECT COUNT(*) AS n, MAX(position) AS head FROM events').get();
  db.close();
  if (count.n !== total || count.head !== total)
    throw new Error(`generated ${count.n} rows up to ${count.head}, expected ${total}`);
  return { events: total, head: count.head };
}

module.exports = { generate, expectedFinal, limitFor };
