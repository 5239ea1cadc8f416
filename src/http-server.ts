import http from 'node:http';
import type { Socket } from 'node:net';

export interface HttpTimeouts {
  /** From a request's first byte to the end of its headers; past it Node answers 408 and closes. */
  headersMs: number;
  /** From a request's first byte to the end of its body (uploads included). */
  requestMs: number;
  /**
   * A connection with no request in flight that sends nothing for this long is closed: one that never
   * sends a byte is otherwise held for good (Node's header and request timeouts start at the first byte).
   * A request being answered is never cut by it, however long a model takes to reply.
   */
  idleMs: number;
}

/** The HTTP server with its timeouts; WebSocket upgrades leave Node's timeout handling and are not affected. */
export function createHttpServer(timeouts: HttpTimeouts, app: http.RequestListener): http.Server {
  const server = http.createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      // How often Node checks the two above: often enough that a short configured timeout is kept to.
      connectionsCheckingInterval: Math.max(
        100,
        Math.min(30_000, Math.floor(Math.min(timeouts.headersMs, timeouts.requestMs) / 4)),
      ),
    },
    app,
  );
  const inFlight = new WeakMap<Socket, number>();
  // After the app, so the app stays the server's first request listener.
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1));
  });
  server.setTimeout(timeouts.idleMs);
  // With a listener here Node leaves the socket to us: close it only when no answer is being written.
  server.on('timeout', (socket: Socket) => {
    if (!inFlight.get(socket)) socket.destroy();
  });
  return server;
}
