/**
 * The idle timeout closes connections with nothing in flight, never one whose answer is still being
 * prepared (a model may take longer than the idle timeout to reply).
 */
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { createHttpServer } from '../src/http-server.js';

const IDLE_MS = 200;
let server: http.Server;

beforeAll(async () => {
  server = createHttpServer({ headersMs: 1000, requestMs: 2000, idleMs: IDLE_MS }, (_req, res) =>
    setTimeout(() => res.end('late but whole'), IDLE_MS * 5),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(
  () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
);

it('given a request whose answer takes longer than the idle timeout, then the answer still arrives whole', async () => {
  const { port } = server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/`);
  expect(res.status).toBe(200);
  expect(await res.text()).toBe('late but whole');
});
