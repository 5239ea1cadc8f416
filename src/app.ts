import http from 'node:http';
import type { WebSocketServer } from 'ws';
import pino, { type Logger } from 'pino';
import { LlmProviders } from './ai/llm/select.js';
import { TokenService } from './commands/identity/tokens.js';
import type { Config } from './config.js';
import { buildChronicleSchema } from './graphql/schema.js';
import { type GraphQLEndpoint, graphqlEndpoint } from './graphql/server.js';
import { OutboxMailer } from './infra/mail/outbox.js';
import type { Mailer } from './infra/mail/port.js';
import { SmtpMailer } from './infra/mail/smtp.js';
import { SqliteReadStore } from './infra/readstore/sqlite.js';
import { MemoryReadStore } from './infra/readstore/memory.js';
import { fileCleanupReactor, STORED_FILES } from './jobs/file-cleanup-reactor.js';
import { overdueInvocationsSweeper, SWEEP_INTERVAL_MS } from './jobs/overdue-invocations-sweeper.js';
import { mailReactor } from './jobs/mail-reactor.js';
import { startIngestionWorker } from './jobs/ingestion/worker.js';
import { OpenAIEmbedder } from './ai/retrieval/embeddings.js';
import { KnowledgeService } from './ai/retrieval/knowledge.js';
import { LocalFileStore } from './infra/files/local.js';
import type { FileStore } from './infra/files/port.js';
import { InlineJobQueue } from './infra/queue/inline.js';
import type { JobQueue } from './infra/queue/port.js';
import { type ProgressNotice, PROJECTIONS_CHANNEL } from './projections/shared/notices.js';
import { ProjectionProgress } from './projections/shared/progress.js';
import { CHECKPOINTS, PROJECTIONS_CHECKPOINT, ProjectionRunner } from './projections/shared/runner.js';
import { findUser } from './projections/users/queries.js';
import { lastExchanges } from './projections/chats/queries.js';
import { documentsForAgents } from './projections/documents/agent-reads.js';
import { AgentInvocations } from './commands/agents/invocations.js';
import { RemoteInvocations } from './commands/agents/remote-invocations.js';
import { chatsOfSession } from './projections/embeds/queries.js';
import { SNAPSHOT_COLLECTIONS } from './projections/time-travel/reads.js';
import { Snapshotter } from './projections/time-travel/snapshotter.js';
import { TimeTravel } from './projections/time-travel/time-travel.js';
import type { TransportDeps } from './transport/deps.js';
import { AuditSigner } from './audit/signed-head.js';
import { httpApp } from './rest/http-app.js';
import { explorerRouter } from './graphql/explorer.js';
import { apiRateLimit, authRateLimit, uploadRateLimit } from './transport/rate-limit.js';
import { chatSocketServer } from './realtime/chat-socket.js';
import { agentSocketServer } from './realtime/agent-socket.js';
import { routeUpgrades } from './realtime/upgrades.js';
import { holdServerLock } from './server-lock.js';
import { createHttpServer } from './http-server.js';
import type { StartingServer, StartupProgress } from './startup-server.js';
import { openStores, production } from './stores.js';

export interface Chronicle {
  server: http.Server | null;
  /** Base URL of the HTTP server, e.g. http://127.0.0.1:8000 */
  url: string | null;
  deps: TransportDeps;
  close(): Promise<void>;
}

export interface StartOptions {
  /**
   * A server already listening (`npm start` listens before loading this module): it is told how the
   * start goes and then handed the application. Without it, the server is created and listens last.
   */
  listening?: StartingServer;
}

export async function startChronicle(
  config: Config,
  logger: Logger = pino({ level: config.logLevel }),
  options: StartOptions = {},
): Promise<Chronicle> {
  const { listening } = options;
  // Told to the listening server, then a turn of the event loop for its probes: without one the start
  // runs as one synchronous stretch (the awaits below mostly find their promises settled).
  const phase = async (progress: StartupProgress) => {
    if (!listening) return;
    listening.report(progress);
    await new Promise((resolve) => setImmediate(resolve));
  };
  await phase({ phase: 'opening stores' });
  const { store, keys, db, pubsub, eventLogs, projections } = await openStores(config, logger);
  const releaseLock = config.mongodbUrl ? () => {} : holdServerLock(config.dataDir);
  if (db instanceof SqliteReadStore) {
    // Into memory before anything reads it, a slice at a time, so a big store does not stall the event loop.
    await db.loadAll((documentsLoaded, documentsTotal) =>
      listening?.report({ phase: 'loading read models', documentsLoaded, documentsTotal }),
    );
  }
  const tokens = new TokenService(config.jwtSecret, {
    accessSeconds: config.accessTokenTtlSeconds,
    refreshSeconds: config.refreshTokenTtlSeconds,
    passwordResetSeconds: config.passwordResetTtlSeconds,
  });
  const progress = new ProjectionProgress(config.readYourWritesTimeoutMs);
  const logError = (what: string) => (err: unknown) => logger.error({ err }, what);
  const stops: (() => Promise<unknown>)[] = [];
  const files: FileStore = new LocalFileStore(config.filesDir);
  // Retrieval over the documents read models, kept current by projection notices; vectors beside BM25 when configured.
  const knowledge = await KnowledgeService.start({
    db,
    pubsub,
    embedder:
      config.embeddingsProvider === 'openai'
        ? new OpenAIEmbedder({
            model: config.embeddingsModel,
            baseUrl: config.embeddingsBaseUrl,
            apiKey: config.embeddingsApiKey,
          })
        : null,
    onError: (err, what) => logger.error({ err }, what),
  });
  stops.push(() => knowledge.stop());
  // With Redis, every process counts against one budget per client; a command fails fast rather than
  // queueing while Redis is away (the limiter then lets requests through uncounted).
  const limiterRedis = config.redisUrl
    ? await (
        await production.redis()
      ).connectRedis(config.redisUrl, logError('rate-limit redis'), {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
      })
    : null;
  const RedisRateLimitStore = limiterRedis ? (await production.redisRateLimit()).RedisRateLimitStore : null;
  // One store per limit: each is told its own window.
  const limiterStore = () =>
    limiterRedis && RedisRateLimitStore
      ? new RedisRateLimitStore(limiterRedis, config.rateLimitRedisPrefix)
      : undefined;
  if (limiterRedis) stops.push(async () => limiterRedis.quit());
  const llm = new LlmProviders(config.llm);
  const promptBudget = { pinnedTokens: config.llm.pinnedTokens, contextTokens: config.llm.contextTokens };
  const agentInvocations = new AgentInvocations(
    { store, knowledge, agents: llm, agentDocuments: documentsForAgents(db), agentLimits: config.agent, promptBudget },
    (err, what) => logger.error({ err }, what),
  );
  stops.push(() => agentInvocations.stop());
  // Over Redis, a respond or close for an invocation running in another API process is handed to it.
  const remoteInvocations = await RemoteInvocations.start(agentInvocations, config.redisUrl ? pubsub : null, {
    replyTimeoutMs: config.agent.remoteReplyTimeoutMs,
    log: (err, what) => logger.error({ err }, what),
  });
  stops.push(() => remoteInvocations.stop());
  const deps: TransportDeps = {
    store,
    keys,
    db,
    tokens,
    progress,
    pubsub,
    eventLogs,
    audit: new AuditSigner(config.dataDir),
    timeTravel: new TimeTravel(store, db, () => new MemoryReadStore()),
    readUser: (userId) => findUser(db, userId),
    history: {
      lastExchanges: (workspaceId, threadId, userId, n) => lastExchanges(db, workspaceId, threadId, userId, n),
      embedSession: (embedUuid, sessionId) => chatsOfSession(db, embedUuid, sessionId),
    },
    authRateLimit: authRateLimit(config.rateLimitAuthPerMinute, limiterStore()),
    knowledge,
    files,
    llm,
    promptBudget,
    uploads: {
      maxBytes: config.uploadMaxMb * 1024 * 1024,
      rateLimit: uploadRateLimit(config.rateLimitUploadPerMinute, limiterStore()),
    },
    publicOrigin: { publicUrl: config.publicUrl, allowedHosts: config.allowedHosts },
    apiRateLimit: apiRateLimit(config.rateLimitApiPerMinute, limiterStore(), config.rateLimitApiWindowSeconds * 1000),
    agentInvocations,
    remoteInvocations,
  };

  const stored = await db.collection(CHECKPOINTS).findOne({ _id: PROJECTIONS_CHECKPOINT });
  progress.advance((stored?.position as number | undefined) ?? 0);

  if (config.roles.has('projector')) {
    // Embedded, a batch's flush may wait a few ms to be shared with the next batches' (MongoDB writes as it goes);
    // notices wait for it only when they reach other processes (Redis), which read the store from disk.
    const announceAfterMs = config.mongodbUrl ? 0 : config.readModelsFlushMs;
    const runner = new ProjectionRunner(
      store,
      db,
      projections,
      progress,
      pubsub,
      logError('projection failed; retrying'),
      {
        announceAfterMs,
        inProcessNotices: !config.redisUrl,
        snapshots: new Snapshotter(db, SNAPSHOT_COLLECTIONS, config.snapshotEvery, logError('snapshot failed')),
      },
    );
    await runner.start();
    stops.push(() => runner.stop());
    // Where the store chains events after their append (EventStoreDB), the projector's process seals them.
    const chain = store.keepChain?.(logError('chain sealing failed; retrying'));
    if (chain) stops.push(() => chain.stop());
  } else {
    // Without a projector of its own, this process shares the projector's read store and learns how
    // far it got from its notices, and from its checkpoint should a notice be missed.
    const catchUp = async (announced = 0) => {
      await db.sync();
      const checkpoint = await db.collection(CHECKPOINTS).findOne({ _id: PROJECTIONS_CHECKPOINT });
      progress.advance(Math.max(announced, (checkpoint?.position as number | undefined) ?? 0));
    };
    let syncing = Promise.resolve();
    const queueCatchUp = (announced?: number) => {
      syncing = syncing.then(() => catchUp(announced)).catch(logError('read model sync failed'));
    };
    stops.push(await pubsub.subscribe(PROJECTIONS_CHANNEL, (m) => queueCatchUp((m as ProgressNotice).position)));
    const poll = setInterval(() => queueCatchUp(), 1000);
    stops.push(async () => clearInterval(poll));
  }

  if (config.roles.has('worker')) {
    const mailer: Mailer = config.smtpUrl
      ? new SmtpMailer({ url: config.smtpUrl, from: config.mailFrom ?? undefined })
      : new OutboxMailer(config.mailOutboxDir);
    const reactor = mailReactor(
      store,
      db.collection(CHECKPOINTS),
      tokens,
      mailer,
      logError('mail reactor failed; retrying'),
    );
    await reactor.start();
    stops.push(() => reactor.stop());
    const cleanup = fileCleanupReactor(
      store,
      db.collection(CHECKPOINTS),
      db.collection(STORED_FILES),
      files,
      logError('file cleanup failed; retrying'),
    );
    await cleanup.start();
    stops.push(() => cleanup.stop());
    const sweeper = overdueInvocationsSweeper({
      store,
      db,
      invocationTimeoutMs: config.agent.invocationTimeoutMs,
      caughtUp: async () => progress.waitFor(await store.headPosition(), SWEEP_INTERVAL_MS),
      onError: (err, what) => logger.error({ err }, what),
    });
    void sweeper.start();
    stops.push(() => sweeper.stop());

    // Ingestion jobs on BullMQ when Redis is there (they survive restarts, any worker takes them), else in-process.
    const queue: JobQueue = config.redisUrl
      ? await (
          await production.bullmq()
        ).BullMqJobQueue.connect(config.redisUrl, {
          prefix: config.queuePrefix,
          onError: (err, context) => logger.error({ err, context }, 'job queue error'),
        })
      : new InlineJobQueue((err, context) => logger.error({ err, context }, 'job queue error'));
    stops.push(() => queue.close());
    stops.push(
      await startIngestionWorker({
        store,
        db,
        files,
        queue,
        progress,
        concurrency: config.ingestionConcurrency,
        retry: { attempts: config.ingestionAttempts, backoffMs: config.ingestionBackoffMs },
        watchIntervalMs: config.watchIntervalMs,
        onError: (err, what) => logger.error({ err }, what),
      }),
    );
  }

  let server: http.Server | null = null;
  let url: string | null = null;
  let graphql: GraphQLEndpoint | null = null;
  const socketServers: WebSocketServer[] = [];
  if (config.roles.has('api')) {
    await phase({ phase: 'building the API' });
    graphql = await graphqlEndpoint(await buildChronicleSchema(pubsub), deps, logError('graphql resolver failed'));
    const app = httpApp(deps, logger, { explorer: explorerRouter(), api: graphql.http }, config.environment);
    if (listening) {
      server = listening.server;
      listening.serve(app);
    } else server = createHttpServer(config.httpTimeouts, app);
    const chatSocket = chatSocketServer(deps, (err, what) => logger.error({ err }, what));
    stops.push(() => chatSocket.close());
    const agentSocket = agentSocketServer(deps, (err, what) => logger.error({ err }, what));
    stops.push(() => agentSocket.close());
    routeUpgrades(server, { '/graphql': graphql.ws, '/ws/chat/*': chatSocket.wss, '/ws/agent/*': agentSocket.wss });
    socketServers.push(graphql.ws, chatSocket.wss, agentSocket.wss);
    if (listening) url = listening.url;
    else {
      await new Promise<void>((resolve) => server!.listen(config.port, config.host, resolve));
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
    }
    logger.info({ url }, 'chronicle listening');
  }

  return {
    server,
    url,
    deps,
    async close() {
      if (server) {
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeAllConnections();
        // Upgraded sockets are no HTTP connections: the server's close would wait for every client to leave.
        for (const wss of socketServers) for (const client of wss.clients) client.terminate();
        await closed;
      }
      if (graphql) await graphql.stop();
      for (const stop of stops.reverse()) await stop();
      await pubsub.close();
      await db.close();
      await store.close();
      await keys.close();
      releaseLock();
    },
  };
}
