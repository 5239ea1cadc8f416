/**
 * Starts a throwaway redis-server for the Redis adapter tests unless REDIS_URL points at one.
 * Workers inherit process.env from here, so they all see REDIS_URL.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRedis {
  child: ChildProcess;
  dir: string;
}

/** Where global-teardown finds what this started (both run in jest's main process). */
const TEST_REDIS_KEY = '__chronicleTestRedis';

const START_TIMEOUT_MS = 15_000;

/** Compiles src/ to dist/ when it changed since the last build, for the tests that start the server as its own process. */
function buildDist(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- bin/ is plain CommonJS, shared with `npm start`
  (require('../../bin/build.js') as { ensureBuilt(): void }).ensureBuilt();
}

export default async function globalSetup(): Promise<void> {
  buildDist();
  if (process.env.REDIS_URL) return;
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error(
      'redis-server is not installed and REDIS_URL is not set. Install it with `apt-get install -y redis-server` ' +
        '(`npm test` does when it may), or set REDIS_URL to a running Redis.',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'chronicle-redis-'));
  let lastError: unknown;
  // The free port may be taken between probing and binding; try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--logfile',
        join(dir, 'redis.log'),
      ],
      { stdio: 'ignore' },
    );
    try {
      await waitForPong(port, child);
      (globalThis as Record<string, unknown>)[TEST_REDIS_KEY] = { child, dir } satisfies TestRedis;
      process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
      return;
    } catch (err) {
      child.kill('SIGKILL');
      const log = await readFile(join(dir, 'redis.log'), 'utf8').catch(() => '');
      lastError = new Error(`${(err as Error).message}\n${log.split('\n').slice(-10).join('\n')}`);
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls with a raw PING until redis-server answers +PONG, it exits, or the deadline passes. */
async function waitForPong(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`redis-server exited before answering on port ${port}`);
    if (await pings(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not answer PING on port ${port} within ${START_TIMEOUT_MS} ms`);
}

function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
