import { Redis, type RedisOptions } from 'ioredis';

export type RedisErrorReporter = (err: unknown, context: string) => void;

/**
 * An unreachable Redis fails here with its real error instead of being retried in the background;
 * once connected, drops are retried with backoff (and ioredis resubscribes pub/sub channels).
 */
export async function connectRedis(
  url: string,
  onError: RedisErrorReporter,
  options: RedisOptions = {},
): Promise<Redis> {
  let connected = false;
  let startupError: unknown;
  const redis = new Redis(url, {
    ...options,
    lazyConnect: true,
    retryStrategy: (attempt) => (connected ? Math.min(attempt * 100, 2000) : null),
  });
  redis.on('error', (err) => {
    if (connected) onError(err, 'connection');
    else startupError = err;
  });
  try {
    await redis.connect();
  } catch (err) {
    // With no retry the client has already ended; disconnect() on it would arm a stray timer.
    if (redis.status !== 'end') redis.disconnect();
    throw startupError ?? err;
  }
  connected = true;
  return redis;
}
