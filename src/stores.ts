/**
 * Which adapters are in use, and opening them: the half of the composition root that the server, the
 * CLI and the tools share (app.ts wires the rest). Production adapters when their URLs are set, else
 * the embedded ones under DATA_DIR.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { type EncryptionCounts, EncryptingEventStore } from './infra/eventstore/encrypting.js';
import type { EventStore } from './infra/eventstore/port.js';
import { SqliteEventStore } from './infra/eventstore/sqlite.js';
import { SqliteEventLogReader } from './infra/eventstore/sqlite-event-logs.js';
import type { EventLogReader } from './infra/event-logs/port.js';
import { CachedKeyStore } from './infra/keystore/cached.js';
import type { KeyStore } from './infra/keystore/port.js';
import { SqliteKeyStore } from './infra/keystore/sqlite.js';
import { MemoryPubSub } from './infra/pubsub/memory.js';
import type { PubSub } from './infra/pubsub/port.js';
import type { ReadStore } from './infra/readstore/port.js';
import { SqliteReadStore } from './infra/readstore/sqlite.js';
import type { SealingCopy } from './migrate/erase-legacy.js';
import { projectionsFor } from './projections/all.js';
import { projectedEventLogs } from './projections/event-logs/queries.js';
import type { Projection } from './projections/shared/projection.js';

export interface Stores {
  /** Personal data sealed on append and opened on read (infra/eventstore/encrypting.ts). */
  store: EventStore;
  /** The subjects' keys the store seals with; erasure destroys one. */
  keys: KeyStore;
  db: ReadStore;
  pubsub: PubSub;
  /** Where event logs are read, which follows from the event store: the embedded one answers them from its own table. */
  eventLogs: EventLogReader;
  /** The projections the runner keeps current and replay rebuilds (no event_logs archive when the store answers them). */
  projections: readonly Projection[];
}

/**
 * The production adapters' clients (EventStoreDB's gRPC, MongoDB, BullMQ, ioredis) are loaded only when
 * configured: loading them cost an embedded start about a fifth of its module loading.
 */
export const production = {
  esdb: () => import('./infra/eventstore/esdb.js'),
  mongo: () => import('./infra/readstore/mongo.js'),
  mongoKeys: () => import('./infra/keystore/mongo.js'),
  redisPubSub: () => import('./infra/pubsub/redis.js'),
  redis: () => import('./infra/redis/connect.js'),
  redisRateLimit: () => import('./infra/ratelimit/redis.js'),
  bullmq: () => import('./infra/queue/bullmq.js'),
};

/** The only place that knows which adapters are in use: production ones when their URLs are set. */
export async function openStores(config: Config, logger?: Logger): Promise<Stores> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const stored = config.esdbUrl
    ? (await production.esdb()).EsdbEventStore.connect(config.esdbUrl, {
        onRetry: (err, delayMs) => logger?.warn({ err, delayMs }, 'event store subscription dropped; resubscribing'),
      })
    : SqliteEventStore.open(config.sqlitePath, { synchronous: config.sqliteSynchronous });
  const db = config.mongodbUrl
    ? await (await production.mongo()).MongoReadStore.connect(config.mongodbUrl)
    : SqliteReadStore.open(config.readModelsPath, {
        synchronous: config.sqliteSynchronous,
        writeBehindMs: config.readModelsFlushMs,
      });
  const pubsub = config.redisUrl
    ? await (await production.redisPubSub()).RedisPubSub.connect(config.redisUrl)
    : new MemoryPubSub();
  const keys = await openKeyStore(config);
  const store = new EncryptingEventStore(stored, keys);
  // An event_logs archive an older version projected into an embedded DATA_DIR is simply no longer read.
  const eventLogs =
    stored instanceof SqliteEventStore ? SqliteEventLogReader.over(stored, store.cipher) : projectedEventLogs(db);
  const projections = projectionsFor(stored instanceof SqliteEventStore ? 'event-store' : 'projection');
  return { store, keys, db, pubsub, eventLogs, projections };
}

/** The key store beside the event store: a MongoDB collection when MongoDB is configured, else a file in DATA_DIR. */
export async function openKeyStore(config: Config): Promise<KeyStore> {
  fs.mkdirSync(path.dirname(config.keysPath), { recursive: true });
  return new CachedKeyStore(
    config.mongodbUrl
      ? await (await production.mongoKeys()).MongoKeyStore.connect(config.mongodbUrl)
      : SqliteKeyStore.open(config.keysPath),
  );
}

/**
 * `chronicle erase-legacy`'s stores: the embedded log as stored (only read), and a new file written
 * through the encrypting store with the keys of this DATA_DIR's key store.
 */
export async function openSealingCopy(config: Config, file: string): Promise<SealingCopy> {
  if (config.esdbUrl) throw new Error('erase-legacy rewrites the embedded SQLite log; ESDB_URL is set');
  if (!fs.existsSync(config.sqlitePath)) throw new Error(`No event log at ${config.sqlitePath}`);
  // A new file only: never the original, never a half-written copy of another run.
  if (fs.existsSync(file)) throw new Error(`${file} exists: erase-legacy writes a new file, give another --out`);
  const keys = await openKeyStore(config);
  const counts: EncryptionCounts = { sealed: 0, erased: 0, renamedStreams: new Set() };
  const source = SqliteEventStore.open(config.sqlitePath);
  const target = new EncryptingEventStore(SqliteEventStore.open(file), keys, counts);
  return {
    source,
    target,
    counts,
    async close() {
      await target.close();
      await source.close();
      await keys.close();
    },
  };
}

/**
 * An event store named by a URL, besides the configured one (chronicle migrate's target):
 * `sqlite:<path>` for an embedded file, `esdb://...` (or `esdb+discover://`) for EventStoreDB.
 */
export async function openEventStoreAt(url: string, config: Config): Promise<EventStore> {
  if (url.startsWith('sqlite:')) {
    const file = path.resolve(url.slice('sqlite:'.length));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    return SqliteEventStore.open(file, { synchronous: config.sqliteSynchronous });
  }
  // The only schemes @eventstore/db-client 6.2 parses (Client/parseConnectionString.js).
  if (/^esdb(\+discover)?:\/\//.test(url)) return (await production.esdb()).EsdbEventStore.connect(url);
  throw new Error(`Unknown event store URL ${url}: expected sqlite:<path> or esdb://host:2113?tls=false`);
}
