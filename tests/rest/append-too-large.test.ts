/**
 * An append over the event store's size limit writes nothing; the client is told so plainly (413 over
 * REST, PAYLOAD_TOO_LARGE over GraphQL), never a masked 500.
 */
import express from 'express';
import type { AddressInfo } from 'node:net';
import { formatError } from '../../src/graphql/errors.js';
import { AppendTooLargeError } from '../../src/infra/eventstore/port.js';
import { errorHandler } from '../../src/rest/errors.js';

describe('an append over the size limit', () => {
  it('given a route whose command is refused for size, when called over REST, then 413 {error}', async () => {
    const app = express();
    app.post('/x', () => {
      throw new AppendTooLargeError('chat-1', 2_000_000);
    });
    app.use(errorHandler);
    const server = app.listen(0);
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, { method: 'POST' });
      expect(res.status).toBe(413);
      const body = (await res.json()) as { error: string };
      expect(body.error).toMatch(/send less/);
      expect(body.error).not.toMatch(/chat-1|2000000/); // the stream and sizes stay in the server's log
    } finally {
      server.close();
    }
  });

  it('given a resolver whose command is refused for size, when formatted for GraphQL, then PAYLOAD_TOO_LARGE', () => {
    const formatted = formatError({ message: 'x' }, new AppendTooLargeError('chat-1', 2_000_000), () => {});
    expect(formatted.extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE' });
    expect(formatted.message).toMatch(/send less/);
  });
});
