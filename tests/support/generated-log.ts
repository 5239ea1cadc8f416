import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../../src/commands/shared/context.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';

/**
 * An embedded event log of `users` UserRegistered events (user-1 the admin), written with plain SQL in
 * one transaction: a log long enough that projecting it takes a server seconds, made in a fraction of that.
 * The table is created by the adapter itself, so the layout is the server's.
 */
export async function generateUserLog(file: string, users: number): Promise<void> {
  await SqliteEventStore.open(file).close();
  const db = new Database(file);
  const insert = db.prepare(
    'INSERT INTO events (id, stream, revision, type, data, metadata, created_at) VALUES (?, ?, 0, ?, ?, ?, ?)',
  );
  const at = new Date().toISOString();
  db.transaction(() => {
    for (let userId = 1; userId <= users; userId++) {
      const commandId = randomUUID();
      const data = {
        userId,
        username: `user${userId}`,
        email: `user${userId}@example.com`,
        passwordHash: `$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$${userId}`,
        role: userId === 1 ? 'admin' : 'default',
        registeredAt: at,
      };
      const metadata = {
        actorId: null,
        actorType: 'user',
        correlationId: commandId,
        causationId: commandId,
        ip: '127.0.0.1',
        userAgent: 'test',
        schemaVersion: SCHEMA_VERSION,
      };
      insert.run(randomUUID(), `user-${userId}`, 'UserRegistered', JSON.stringify(data), JSON.stringify(metadata), at);
    }
  })();
  db.close();
}
