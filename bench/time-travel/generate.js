'use strict';
/**
 * A chat-heavy event log for the time-travel bench, written as the domain writes it (stream names,
 * revisions, event and metadata shapes), with plain SQL in large transactions like
 * bench/replay/generate.js (generation speed is not measured). One event per second from T0.
 *
 * In log order: `users` registrations, then `workspaces` workspaces each with `membersPer` members
 * and `threadsPer` threads, then chats until `events` (each a ChatRequested and a ChatCompleted in a
 * random thread of a random workspace), with one workspace renamed every `renameEvery` chats, so
 * that every read the bench asks changes along the log.
 */
const crypto = require('node:crypto');
const Database = require('better-sqlite3');
const { dist } = require('../lib/common.js');

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (i) => new Date(T0 + i * 1000).toISOString();

async function generate(
  file,
  { events, users = 1000, workspaces = 200, membersPer = 5, threadsPer = 25, renameEvery = 500, seed = 1 },
) {
  const { SqliteEventStore } = dist('infra/eventstore/sqlite.js');
  const { SCHEMA_VERSION } = dist('commands/shared/context.js');
  const { DEFAULT_WORKSPACE_SETTINGS } = dist('domain/workspaces/settings.js');
  const store = SqliteEventStore.open(file); // the schema exactly as the server creates it
  await store.close();

  const db = new Database(file);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  db.pragma('locking_mode = EXCLUSIVE');
  const insert = db.prepare(
    'INSERT INTO events (id, stream, revision, type, data, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  let rand = seed >>> 0;
  const random = (n) => {
    rand = (Math.imul(rand, 1664525) + 1013904223) >>> 0; // a fixed sequence: runs are comparable
    return Math.floor((rand / 2 ** 32) * n); // the high bits: an LCG's low bits repeat within a few draws
  };
  const revisions = new Map();
  let i = 0;
  const meta = (actorId) =>
    JSON.stringify({
      actorId,
      actorType: 'user',
      correlationId: crypto.randomUUID(),
      causationId: crypto.randomUUID(),
      ip: '127.0.0.1',
      userAgent: 'bench',
      schemaVersion: SCHEMA_VERSION,
    });
  const append = (stream, type, data, actorId = '1') => {
    const revision = revisions.get(stream) ?? 0;
    revisions.set(stream, revision + 1);
    insert.run(crypto.randomUUID(), stream, revision, type, JSON.stringify(data), meta(actorId), at(i));
    i++;
  };

  const threadIds = []; // per workspace
  let chatId = 0;
  const renamed = new Set(); // chat counts at which a rename was written
  const write = db.transaction((until) => {
    while (i < until) {
      if (i < users) {
        const userId = i + 1;
        append(
          `user-${userId}`,
          'UserRegistered',
          {
            userId,
            username: `user${userId}`,
            email: `user${userId}@example.com`,
            passwordHash: '$argon2id$v=19$m=19456,p=1,t=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo',
            role: userId === 1 ? 'admin' : 'default',
            registeredAt: at(i),
          },
          null,
        );
        continue;
      }
      if (threadIds.length < workspaces) {
        const workspaceId = threadIds.length + 1;
        append(`workspace-${workspaceId}`, 'WorkspaceCreated', {
          workspaceId,
          name: `Workspace ${workspaceId}`,
          slug: `workspace-${workspaceId}`,
          settings: DEFAULT_WORKSPACE_SETTINGS,
          createdBy: 1,
          at: at(i),
        });
        for (let m = 0; m < membersPer; m++)
          append(`workspace-${workspaceId}`, 'WorkspaceMemberAdded', {
            workspaceId,
            userId: 2 + random(users - 1),
            at: at(i),
          });
        const ids = [];
        for (let t = 0; t < threadsPer; t++) {
          const threadId = (workspaceId - 1) * threadsPer + t + 1;
          ids.push(threadId);
          append(`workspace-${workspaceId}`, 'ThreadCreated', {
            threadId,
            workspaceId,
            name: `Thread ${threadId}`,
            slug: `thread-${threadId}`,
            userId: 1,
            at: at(i),
          });
        }
        threadIds.push(ids);
        continue;
      }
      if (chatId > 0 && chatId % renameEvery === 0 && !renamed.has(chatId)) {
        renamed.add(chatId);
        const workspaceId = 1 + random(workspaces);
        append(`workspace-${workspaceId}`, 'WorkspaceUpdated', {
          workspaceId,
          changes: { name: `Workspace ${workspaceId} (${i})` },
          at: at(i),
        });
        continue;
      }
      const w = random(workspaces);
      const threadId = threadIds[w][random(threadsPer)];
      const userId = 1 + random(users);
      chatId++;
      append(
        `chat-${chatId}`,
        'ChatRequested',
        {
          chatId,
          workspaceId: w + 1,
          threadId,
          userId,
          prompt: `Question ${chatId}: how long do refunds take for order ${random(100000)}?`,
          mode: 'chat',
          at: at(i),
        },
        String(userId),
      );
      append(
        `chat-${chatId}`,
        'ChatCompleted',
        {
          chatId,
          workspaceId: w + 1,
          response: `Answer ${chatId}: refunds are paid within 14 days of the return reaching us.`,
          sources: [],
          at: at(i),
        },
        String(userId),
      );
    }
  });
  for (let from = 0; from < events; from += 50_000) write(Math.min(events, from + 50_000));
  db.pragma('locking_mode = NORMAL');
  db.pragma('journal_mode = WAL');
  const { n, head } = db.prepare('SELECT COUNT(*) AS n, MAX(position) AS head FROM events').get();
  db.close();
  return { events: n, head, chats: chatId, threadIds, t0: T0 };
}

module.exports = { generate, at };
