/**
 * The HTTP server does not hold connections for clients that send nothing: a raw TCP client that never
 * writes is closed after HTTP_IDLE_TIMEOUT_MS, one that trickles headers forever gets 408 and is closed
 * after HTTP_HEADERS_TIMEOUT_MS. WebSockets, once upgraded, are not subject to either. Only the outcome
 * (closed or open) is asserted, never how long it took.
 */
import net from 'node:net';
import { ChatSocketClient } from '../support/chat-socket.js';
import { createWorkspace, registerAdmin } from '../support/embed.js';
import { startTestServer, type TestServer } from '../support/server.js';

const IDLE_MS = 300;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    HTTP_IDLE_TIMEOUT_MS: String(IDLE_MS),
    HTTP_HEADERS_TIMEOUT_MS: '600',
    HTTP_REQUEST_TIMEOUT_MS: '5000',
  });
});

afterAll(() => server?.close());

/** A raw TCP connection to the server, with everything it received and a promise of its close. */
async function rawConnection() {
  const { port } = new URL(server.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {}); // a reset by the server is a close too
  return { socket, closed, received: () => received };
}

it('given a connection that sends nothing, then the server closes it', async () => {
  const { closed, received } = await rawConnection();
  await closed;
  expect(received()).toBe('');
});

it('given a connection that trickles its headers and never ends them, then 408 and closed', async () => {
  const { socket, closed, received } = await rawConnection();
  const request = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n${'X-Slow: '.padEnd(10_000, 'a')}`;
  let i = 0;
  const trickle = setInterval(() => {
    if (!socket.destroyed) socket.write(request[i++ % request.length]);
  }, 50);
  try {
    await closed;
  } finally {
    clearInterval(trickle);
  }
  expect(received()).toMatch(/^HTTP\/1\.1 408 /);
});

it('given a WebSocket that stays quiet longer than the idle timeout, then it stays open', async () => {
  const admin = await registerAdmin(server);
  const workspace = await createWorkspace(server, admin);
  const client = await ChatSocketClient.connect(server.url, workspace.slug, admin.access);
  try {
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 4));
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    await new Promise<void>((resolve, reject) => {
      client.ws.once('pong', () => resolve());
      client.ws.ping((err?: Error) => err && reject(err));
    });
  } finally {
    await client.close();
  }
});
