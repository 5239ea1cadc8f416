/**
 * The stream_chat SSE writer over a real HTTP server: a client that went away while the chat was being
 * accepted (before the stream opened) still cancels the answer, so no model streams for no one; and a
 * token reaches the client while the server is still busy turning the next ones into frames.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
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
        answer: (_onToken, signal) =>
          new Promise((resolve, reject) => {
            if (signal.aborted) {
              answered(true);
              return reject(new Error('cancelled'));
            }
            signal.addEventListener(
              'abort',
              () => {
                answered(true);
                reject(new Error('cancelled'));
              },
              { once: true },
            );
            // Without an abort the "model" would answer in full.
            setTimeout(() => {
              answered(false);
              resolve({ chatId: 1, position: 0 });
            }, 2_000);
          }),
        settled: async () => true,
        failure: () => ({ message: 'cancelled' }),
        log: () => {},
      });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const req = http.request({
        port: (server.address() as AddressInfo).port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/stream/',
      });
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

  it('sends each frame at once, while the answer is still busy in promise callbacks', async () => {
    // Given a client on its own thread (its event loop runs while the server's is busy) that raises a flag on the first token
    const firstToken = new Int32Array(new SharedArrayBuffer(4));
    let sawFirstWhileBusy: boolean | null = null;
    const app = express();
    app.post('/stream/', async (_req, res) => {
      await streamChatFrames(res, {
        answer: async (onToken) => {
          // When the first token is sent from a promise callback and the server keeps working through buffered tokens
          // without yielding to the event loop (as when a model's whole answer is already in the buffer), for up to 2 s
          await Promise.resolve();
          onToken('first ');
          const until = Date.now() + 2_000;
          while (Date.now() < until && Atomics.load(firstToken, 0) === 0) await Promise.resolve();
          sawFirstWhileBusy = Atomics.load(firstToken, 0) === 1;
          onToken('second');
          return { chatId: 1, position: 0 };
        },
        settled: async () => true,
        failure: () => ({ message: 'failed' }),
        log: () => {},
      });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const client = new Worker(
      `
      const { workerData, parentPort } = require('node:worker_threads');
      const flag = new Int32Array(workerData.flag);
      const req = require('node:http').request({ host: '127.0.0.1', port: workerData.port, method: 'POST', path: '/stream/' }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
          if (text.includes('"token":"first "')) Atomics.store(flag, 0, 1);
        });
        res.on('end', () => parentPort.postMessage(text));
      });
      req.end();
    `,
      { eval: true, workerData: { port: (server.address() as AddressInfo).port, flag: firstToken.buffer } },
    );
    try {
      const body = await new Promise<string>((resolve, reject) =>
        client.once('message', resolve).once('error', reject),
      );
      // Then the client had the first token before the server went on, and the stream is whole
      expect(sawFirstWhileBusy).toBe(true);
      const frames = body
        .split('\n\n')
        .filter((b) => b.startsWith('data: '))
        .map((b) => JSON.parse(b.slice(6)));
      expect(frames.map((f) => f.type)).toEqual(['start', 'stream', 'stream', 'complete']);
      expect(frames.filter((f) => f.type === 'stream').map((f) => f.token)).toEqual(['first ', 'second']);
    } finally {
      await client.terminate();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
