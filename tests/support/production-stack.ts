import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/**
 * The end-to-end suites run on the embedded stores unless ESDB_URL or MONGODB_URL is set (the CI job
 * with the servers): then every test server uses EventStoreDB, MongoDB and Redis, and its ingestion
 * worker runs as a process of its own (ROLE=worker), as in docker-compose.yml.
 */
export const onProductionStack = (): boolean => Boolean(process.env.ESDB_URL || process.env.MONGODB_URL);

/**
 * The stores' settings for one test deployment (one DATA_DIR): its own MongoDB database, queue and
 * rate-limit keys; the event store is the server's one (EventStoreDB has no namespaces).
 */
export function productionEnv(dataDir: string): Record<string, string> {
  if (!onProductionStack()) return {};
  const deployment = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  const env: Record<string, string> = {
    QUEUE_PREFIX: `e2e-${deployment}`,
    RATE_LIMIT_REDIS_PREFIX: `e2e:${deployment}:ratelimit:`,
  };
  if (process.env.ESDB_URL) env.ESDB_URL = process.env.ESDB_URL;
  if (process.env.REDIS_URL) env.REDIS_URL = process.env.REDIS_URL;
  if (process.env.MONGODB_URL) {
    const url = new URL(process.env.MONGODB_URL);
    url.pathname = `/chronicle_e2e_${deployment}`;
    env.MONGODB_URL = url.toString();
  }
  return env;
}

/** `node dist/server.js` with ROLE=worker beside an API process; it listens on no port. */
export function spawnWorker(env: Record<string, string>): {
  child: ChildProcess;
  stop(): Promise<void>;
  output(): string;
} {
  let output = '';
  const child = spawn(process.execPath, ['dist/server.js'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, ROLE: 'worker' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return {
    child,
    output: () => output,
    stop: () =>
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
  };
}
