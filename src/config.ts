import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type LlmConfig, loadLlmConfig } from './ai/llm/config.js';
import type { HttpTimeouts } from './http-server.js';

export type ProcessRole = 'api' | 'projector' | 'worker';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** The embedded event store file; processes that share it share the event log. */
  sqlitePath: string;
  /** The embedded read store's file; one per process, never shared (it is served from memory). */
  readModelsPath: string;
  /** The embedded key store (subjects' encryption keys) when no MongoDB holds them. */
  keysPath: string;
  esdbUrl: string | null;
  mongodbUrl: string | null;
  redisUrl: string | null;
  roles: Set<ProcessRole>;
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  passwordResetTtlSeconds: number;
  rateLimitAuthPerMinute: number;
  /** The general REST and GraphQL limit per user or client. */
  rateLimitApiPerMinute: number;
  /** The window that budget is counted over, in seconds (a minute; tests shorten it). */
  rateLimitApiWindowSeconds: number;
  /** Key prefix of the API limit's counters in Redis: processes with the same prefix share budgets. */
  rateLimitRedisPrefix: string;
  /** Uploads per user per minute (REST upload endpoint). */
  rateLimitUploadPerMinute: number;
  /** Largest upload accepted, in MB (1 MB = 1024 * 1024 bytes); larger is a 413. */
  uploadMaxMb: number;
  /** Where uploaded files are kept (`<DATA_DIR>/files`): a volume in compose, shared by api and worker. */
  filesDir: string;
  smtpUrl: string | null;
  mailFrom: string | null;
  mailOutboxDir: string;
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /**
   * Embedded read store: how long projection writes may wait to share one SQLite transaction (and the
   * notices of their batches to be published after it). Readers in the process never wait for it.
   */
  readModelsFlushMs: number;
  /** Events between two snapshots of the read models (time travel); 0 takes none. */
  snapshotEvery: number;
  /** How long a request waits for the read models to include its write before answering 503 (read-your-writes). */
  readYourWritesTimeoutMs: number;
  logLevel: string;
  environment: string;
  /** How often watched documents' stored sources are re-read and compared with their last ingestion. */
  watchIntervalMs: number;
  /** Ingestion jobs run at once per worker process. */
  ingestionConcurrency: number;
  /** Tries per ingestion job before its document ends failed, and the wait before the first retry (doubled after). */
  ingestionAttempts: number;
  ingestionBackoffMs: number;
  /** Agent invocations: model turns each, the wait for a client tool's answer, the longest run, and the wait for
   * the API process running one to reply to another's respond or close. */
  agent: { maxSteps: number; toolTimeoutMs: number; invocationTimeoutMs: number; remoteReplyTimeoutMs: number };
  /** Vector search beside BM25 when 'openai' (any OpenAI-compatible /v1/embeddings endpoint). */
  embeddingsProvider: 'none' | 'openai';
  embeddingsModel: string;
  embeddingsBaseUrl: string | null;
  embeddingsApiKey: string | null;
  /** Namespaces the job queues' Redis keys, so deployments (or test servers) sharing a Redis keep their jobs apart. */
  queuePrefix: string;
  /** What absolute links in answers start with (no trailing slash); null: the request's host, if allowed. */
  publicUrl: string | null;
  /** Host names a request's Host header may name to be used in links (ALLOWED_HOSTS). */
  allowedHosts: string[];
  /** Header, request and idle timeouts of the HTTP server. */
  httpTimeouts: HttpTimeouts;
  /** LLM_PROVIDER and the providers' keys, endpoints and models; prompt token budgets. */
  llm: LlmConfig;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function positive(env: Env, name: string, fallback: number): number {
  const n = int(env, name, fallback);
  if (n < 1) throw new Error(`${name} must be at least 1, got "${env[name]}"`);
  return n;
}

function embeddingsProvider(raw: string | undefined): 'none' | 'openai' {
  const value = (raw || 'none').toLowerCase();
  if (value !== 'none' && value !== 'openai')
    throw new Error(`EMBEDDINGS_PROVIDER must be none or openai, got "${raw}"`);
  return value;
}

/** The default allowed hosts: this machine's names, and the address the server listens on when it is a specific one. */
export function defaultAllowedHosts(listenHost: string): string[] {
  const hosts = ['localhost', '127.0.0.1', '[::1]'];
  if (!['0.0.0.0', '::', ''].includes(listenHost))
    hosts.push(listenHost.includes(':') ? `[${listenHost}]` : listenHost.toLowerCase());
  return [...new Set(hosts)];
}

function publicUrl(raw: string | undefined): string | null {
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`PUBLIC_URL must be an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`PUBLIC_URL must be an absolute http(s) URL, got "${raw}"`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** Kept in DATA_DIR when JWT_SECRET is unset, so tokens survive a restart of an embedded server. */
function persistedSecret(dataDir: string): string {
  const file = path.join(dataDir, 'jwt-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const secret = randomBytes(48).toString('base64url');
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return fs.readFileSync(file, 'utf8').trim();
  }
}

export function loadConfig(env: Env = process.env): Config {
  const dataDir = path.resolve(env.DATA_DIR || './data');
  const roles = new Set((env.ROLE || 'api,projector,worker').split(',').map((r) => r.trim()) as ProcessRole[]);
  for (const r of roles) if (!['api', 'projector', 'worker'].includes(r)) throw new Error(`Unknown ROLE "${r}"`);
  const synchronous = (env.SQLITE_SYNCHRONOUS || 'NORMAL').toUpperCase();
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') throw new Error('SQLITE_SYNCHRONOUS must be NORMAL or FULL');
  const httpTimeouts = {
    headersMs: positive(env, 'HTTP_HEADERS_TIMEOUT_MS', 20_000),
    requestMs: positive(env, 'HTTP_REQUEST_TIMEOUT_MS', 120_000),
    idleMs: positive(env, 'HTTP_IDLE_TIMEOUT_MS', 30_000),
  };
  // Node refuses a header timeout longer than the request timeout it is part of.
  if (httpTimeouts.headersMs > httpTimeouts.requestMs)
    throw new Error('HTTP_HEADERS_TIMEOUT_MS may not exceed HTTP_REQUEST_TIMEOUT_MS');
  return {
    port: int(env, 'PORT', 8000),
    host: env.HOST || '0.0.0.0',
    dataDir,
    sqlitePath: path.resolve(env.SQLITE_PATH || path.join(dataDir, 'events.sqlite')),
    readModelsPath: path.resolve(env.READ_MODELS_PATH || path.join(dataDir, 'readmodels.sqlite')),
    keysPath: path.resolve(env.KEYS_PATH || path.join(dataDir, 'keys.sqlite')),
    esdbUrl: env.ESDB_URL || null,
    mongodbUrl: env.MONGODB_URL || null,
    redisUrl: env.REDIS_URL || null,
    roles,
    jwtSecret: env.JWT_SECRET || persistedSecret(dataDir),
    accessTokenTtlSeconds: int(env, 'ACCESS_TOKEN_TTL_SECONDS', 15 * 60),
    refreshTokenTtlSeconds: int(env, 'REFRESH_TOKEN_TTL_SECONDS', 7 * 24 * 3600),
    passwordResetTtlSeconds: int(env, 'PASSWORD_RESET_TTL_SECONDS', 3600),
    rateLimitAuthPerMinute: int(env, 'RATE_LIMIT_AUTH_PER_MIN', 5),
    rateLimitApiPerMinute: int(env, 'RATE_LIMIT_API_PER_MIN', 100),
    rateLimitApiWindowSeconds: positive(env, 'RATE_LIMIT_API_WINDOW_SECONDS', 60),
    rateLimitRedisPrefix: env.RATE_LIMIT_REDIS_PREFIX || 'chronicle:ratelimit:',
    rateLimitUploadPerMinute: int(env, 'RATE_LIMIT_UPLOAD_PER_MIN', 10),
    uploadMaxMb: int(env, 'UPLOAD_MAX_MB', 25),
    filesDir: path.resolve(env.FILES_DIR || path.join(dataDir, 'files')),
    smtpUrl: env.SMTP_URL || null,
    mailFrom: env.MAIL_FROM || null,
    mailOutboxDir: path.resolve(env.MAIL_OUTBOX_DIR || path.join(dataDir, 'outbox')),
    sqliteSynchronous: synchronous,
    readModelsFlushMs: int(env, 'READ_MODELS_FLUSH_MS', 5),
    snapshotEvery: int(env, 'SNAPSHOT_EVERY', 100_000),
    readYourWritesTimeoutMs: positive(env, 'READ_YOUR_WRITES_TIMEOUT_MS', 5000),
    logLevel: env.LOG_LEVEL || 'info',
    environment: env.NODE_ENV || 'development',
    watchIntervalMs: positive(env, 'WATCH_INTERVAL_MS', 5 * 60 * 1000),
    ingestionConcurrency: positive(env, 'INGESTION_CONCURRENCY', 2),
    ingestionAttempts: positive(env, 'INGESTION_ATTEMPTS', 3),
    ingestionBackoffMs: int(env, 'INGESTION_BACKOFF_MS', 2000),
    agent: {
      maxSteps: positive(env, 'AGENT_MAX_STEPS', 8),
      toolTimeoutMs: positive(env, 'AGENT_TOOL_TIMEOUT_MS', 60_000),
      invocationTimeoutMs: positive(env, 'AGENT_INVOCATION_TIMEOUT_MS', 10 * 60_000),
      remoteReplyTimeoutMs: positive(env, 'AGENT_REMOTE_REPLY_TIMEOUT_MS', 1000),
    },
    embeddingsProvider: embeddingsProvider(env.EMBEDDINGS_PROVIDER),
    embeddingsModel: env.EMBEDDINGS_MODEL || 'text-embedding-3-small',
    embeddingsBaseUrl: env.EMBEDDINGS_BASE_URL || env.OPENAI_BASE_URL || null,
    embeddingsApiKey: env.EMBEDDINGS_API_KEY || env.OPENAI_API_KEY || null,
    queuePrefix: env.QUEUE_PREFIX || 'chronicle',
    publicUrl: publicUrl(env.PUBLIC_URL),
    allowedHosts: env.ALLOWED_HOSTS
      ? env.ALLOWED_HOSTS.split(',')
          .map((h) => h.trim().toLowerCase())
          .filter(Boolean)
      : defaultAllowedHosts(env.HOST || '0.0.0.0'),
    httpTimeouts,
    llm: loadLlmConfig(env),
  };
}
