/**
 * Request logging over a real HTTP server: every request is logged, and no credential it carried
 * (an API key or JWT in Authorization, a session cookie) appears in the log line.
 */
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import { requestLogging } from '../../src/rest/request-ids.js';

describe('request logging', () => {
  it('logs the request without the credentials it carried', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = express();
    app.use(requestLogging(pino({ level: 'info' }, sink)));
    app.get('/api/users/me/', (_req, res) => {
      res.json({ ok: true });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const key = `sk_live_${'A1b2C3d4'.repeat(5)}xyz`;
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/users/me/`, {
        headers: { Authorization: `Bearer ${key}`, Cookie: 'sessionid=very-secret-cookie' },
      });
      expect(res.status).toBe(200);
      await new Promise((resolve) => setImmediate(resolve));
      const log = lines.join('');
      expect(log).toContain('/api/users/me/');
      expect(log).not.toContain(key);
      expect(log).not.toContain('very-secret-cookie');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
