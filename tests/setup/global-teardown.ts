/** Stops the redis-server that global-setup started, if it started one. */
import { rm } from 'node:fs/promises';
// Type-only: jest loads this file with plain require, without moduleNameMapper for `.js` imports.
import type { TestRedis } from './global-setup.js';

/** Same key as in global-setup. */
const TEST_REDIS_KEY = '__chronicleTestRedis';
const STOP_TIMEOUT_MS = 5_000;

export default async function globalTeardown(): Promise<void> {
  const globals = globalThis as Record<string, unknown>;
  const redis = globals[TEST_REDIS_KEY] as TestRedis | undefined;
  if (!redis) return;
  delete globals[TEST_REDIS_KEY];
  delete process.env.REDIS_URL; // so a watch-mode rerun starts a fresh server
  const { child, dir } = redis;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
  await rm(dir, { recursive: true, force: true });
}
