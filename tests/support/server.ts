import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { type Chronicle, startChronicle } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { recordResponse } from './openapi-conformance.js';
import { onProductionStack, productionEnv, spawnWorker } from './production-stack.js';

export interface TestServer extends Chronicle {
  url: string;
  dataDir: string;
  /** Global position of the newest event: unchanged across a request means it appended nothing. */
  head(): Promise<number>;
}

/**
 * A real server on an ephemeral port in a fresh temporary DATA_DIR: embedded adapters, or with
 * ESDB_URL / MONGODB_URL set the production stores, with its worker as a separate process.
 */
export async function startTestServer(env: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-test-'));
  const stack = productionEnv(dir);
  const shared = {
    DATA_DIR: dir,
    JWT_SECRET: 'test-secret-test-secret-test-secret',
    RATE_LIMIT_AUTH_PER_MIN: '1000',
    RATE_LIMIT_API_PER_MIN: '1000000',
    ...stack,
    ...(onProductionStack() ? { ROLE: 'api,projector' } : {}),
    ...env,
  };
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...shared });
  const chronicle = await startChronicle(config, pino({ level: 'silent' }));
  const server = Object.assign(chronicle, {
    url: chronicle.url!,
    dataDir: dir,
    head: () => chronicle.deps.store.headPosition(),
  });
  if (!onProductionStack() || config.roles.has('worker')) return server;
  const worker = spawnWorker(shared);
  const closeApi = chronicle.close.bind(chronicle);
  server.close = async () => {
    await worker.stop();
    await closeApi();
  };
  return server;
}

/** JSON over real HTTP; answers status and parsed body. */
export async function api(
  server: { url: string },
  method: string,
  urlPath: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(server.url + urlPath, {
    method,
    headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  // Checked against the API document after the test file (tests/setup/openapi-conformance.ts).
  recordResponse({
    method,
    path: new URL(server.url + urlPath).pathname,
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: json,
  });
  return { status: res.status, body: json, headers: res.headers };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export const STRONG_PASSWORD = 'Correct-Horse-42';

/** A username no other test (or earlier run) uses; `prefix` lets list filters find a group of users. */
export function uniqueName(prefix = 'user'): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

type Call = (
  method: string,
  urlPath: string,
  body?: unknown,
  headers?: Record<string, string>,
) => ReturnType<typeof api>;

/** A user with its tokens, as registration and login answered them. */
export interface Session {
  user: any;
  access: string;
  refresh: string;
}

/**
 * Registers over REST and logs in; answers the user and its tokens, and throws on any other answer
 * than 201 and 200. `via` is the server, or a suite's `recordingApi` so the answers join its leak
 * check; `who` is a username, or `{ prefix }` for a fresh unique one.
 */
export async function registerAndLogin(
  via: { url: string } | { call: Call },
  who: string | { prefix: string },
  password = STRONG_PASSWORD,
): Promise<Session> {
  const call: Call = 'call' in via ? via.call : (...args) => api(via, ...args);
  const username = typeof who === 'string' ? who : uniqueName(who.prefix);
  const reg = await call('POST', '/api/users/', {
    username,
    email: `${username}@example.com`,
    password,
    password_confirm: password,
  });
  if (reg.status !== 201) throw new Error(`register ${username}: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await call('POST', '/api/auth/login/', { username, password });
  if (login.status !== 200) throw new Error(`login ${username}: ${login.status} ${JSON.stringify(login.body)}`);
  return { user: reg.body, access: login.body.access as string, refresh: login.body.refresh as string };
}
