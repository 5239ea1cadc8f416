import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { productionEnv } from './production-stack.js';

const ROOT = path.resolve(__dirname, '../..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * Keys of a spawned server in the shared test Redis: servers of one DATA_DIR (one deployment) share
 * their job queues and rate-limit budgets; servers of other tests never take each other's jobs.
 */
function redisPrefixes(dataDir: string | undefined) {
  const deployment = createHash('sha256')
    .update(dataDir ?? randomUUID())
    .digest('hex')
    .slice(0, 12);
  return { QUEUE_PREFIX: `test-${deployment}`, RATE_LIMIT_REDIS_PREFIX: `test:${deployment}:ratelimit:` };
}

/**
 * Whether the server answers with the application: it listens before loading it, and until then
 * /readyz says `starting` (and every other path but /healthz answers 503).
 */
export async function serving(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/readyz`);
    return ((await res.json()) as { status?: string }).status !== 'starting';
  } catch {
    return false; // not listening yet
  }
}

/**
 * `node dist/server.js` as its own process, resolved once the application answers (not merely /healthz,
 * which the server answers while it is still starting). It may still be catching up with its log. It
 * uses Redis only when the test passes REDIS_URL (the jest global setup's is in process.env, but not
 * every test wants it).
 */
export async function spawnServer(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const { child, url, output } = await spawnServerProcess(env);
  // Generous: on a loaded 2-core machine a bare start (module loading, tokenizer warm-up) has taken ~9 s.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output()}`);
    if (await serving(url)) return { child, url, output };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not start:\n${output()}`);
}

/** `node dist/server.js` just spawned, as spawnServer starts it: the caller waits for what it wants. */
export async function spawnServerProcess(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const port = await freePort();
  let output = '';
  const { REDIS_URL: _inherited, ...inherited } = process.env;
  const child = spawn(process.execPath, ['dist/server.js'], {
    cwd: ROOT,
    env: {
      ...inherited,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_AUTH_PER_MIN: '1000',
      RATE_LIMIT_API_PER_MIN: '1000000',
      ...redisPrefixes(env.DATA_DIR),
      ...(env.DATA_DIR ? productionEnv(env.DATA_DIR) : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, url: `http://127.0.0.1:${port}`, output: () => output };
}

export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', () => r()));
}
