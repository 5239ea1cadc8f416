/**
 * The stream_chat SSE writer over a real HTTP server: a client that went away while the chat was being
 * accepted (before the stream opened) still cancels the answer, so no model streams for no one.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { streamChatFrames } from '../../src/rest/sse.js';

describe('streamChatFrames', () => {
  it('aborts the answer when the client disconnected before the stream opened', async () => {
    let arrived!: () => void;
    const received = new Promise<void>((resolve) => (arrived = resolve));
    let clientGone!: () => void;
    const gone = new Promise<void>((resolve) => (clientGone = resolve));
    let answered!: (aborted: boolean) => void;
    const outcome = new Promise<boolean>((resolve) => (answered = resolve));

    const app = express();
    app.post('/stream/', async (req, res) => {
      req.socket.once('close', () => clientGone());
      arrived();
      await gone; // the chat is still being accepted (limits, ids) when the client leaves
      await streamChatFrames(res, {
        answer: (_onToken, signal) => new Promise((resolve, reject) => {
          if (signal.aborted) {
            answered(true);
            return reject(new Error('cancelled'));
          }
          signal.addEventListener('abort', () => { answered(true); reject(new Error('cancelled')); }, { once: true });
          // Without an abort the "model" would answer in full.
          setTimeout(() => { answered(false); resolve({ chatId: 1, position: 0 }); }, 2_000);
        }),
        settled: async () => true,
        failure: () => ({ message: 'cancelled' }),
        log: () => {},
      });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const req = http.request({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', method: 'POST', path: '/stream/' });
      req.on('error', () => {});
      req.end();
      await received;
      req.destroy();
      expect(await outcome).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
