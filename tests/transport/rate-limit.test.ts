/**
 * The per-user limit's middleware over a real HTTP server: the draft-7 headers on every counted request,
 * 429 {error} with Retry-After past the budget, a skipped request left alone, and a failing store letting
 * requests through uncounted.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Store } from 'express-rate-limit';
import { API_RATE_LIMITED, userRateLimit } from '../../src/transport/rate-limit.js';

async function serve(limit: ReturnType<typeof userRateLimit>, as?: number) {
  const app = express();
  app.use((req, _res, next) => {
    if (as !== undefined) req.actor = { type: 'user', userId: as, role: 'default' };
    next();
  });
  app.use(limit.middleware);
  app.get(['/counted', '/skipped'], (_req, res) => {
    res.json({ ok: true });
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    get: async (path: string) => {
      const res = await fetch(url + path);
      return { status: res.status, headers: res.headers, body: await res.json() };
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('user rate limit middleware', () => {
  it('sends the budget left on each request, then 429 {error} with Retry-After; skipped requests are not counted', async () => {
    const limit = userRateLimit(2, API_RATE_LIMITED, {
      name: 'test',
      skip: (req) => req.path === '/skipped',
      windowMs: 30_000,
    });
    const server = await serve(limit, 7);
    try {
      const first = await server.get('/counted');
      expect(first.status).toBe(200);
      expect(first.headers.get('ratelimit-policy')).toBe('2;w=30');
      expect(first.headers.get('ratelimit')).toMatch(/^limit=2, remaining=1, reset=(29|30)$/);
      const skipped = await server.get('/skipped');
      expect(skipped.status).toBe(200);
      expect(skipped.headers.get('ratelimit')).toBeNull();
      expect((await server.get('/counted')).headers.get('ratelimit')).toMatch(/^limit=2, remaining=0, reset=\d+$/);

      const refused = await server.get('/counted');
      expect(refused).toMatchObject({ status: 429, body: { error: API_RATE_LIMITED } });
      expect(refused.headers.get('ratelimit')).toMatch(/^limit=2, remaining=0, reset=\d+$/);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      // The same budget as graphql-ws operations draw on.
      expect(await limit.consume({ userId: 7 }, null)).toBe(false);
      expect(await limit.consume({ userId: 8 }, null)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('lets requests through uncounted while the store fails', async () => {
    const failing = {
      init: () => {},
      increment: () => Promise.reject(new Error('store down')),
      decrement: async () => {},
      resetKey: async () => {},
    } as unknown as Store;
    const server = await serve(userRateLimit(1, API_RATE_LIMITED, { name: 'down', store: failing }));
    try {
      for (let i = 0; i < 3; i++) {
        const res = await server.get('/counted');
        expect(res.status).toBe(200);
        expect(res.headers.get('ratelimit')).toBeNull();
      }
    } finally {
      await server.close();
    }
  });
});
