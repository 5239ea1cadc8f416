/**
 * The HTTP server as it answers while the application is still loading: `npm start` listens with this
 * before it loads the application's modules, opens the stores and builds the API, so an orchestrator's
 * liveness probe is answered at once however long that takes (a read store of a million documents is
 * read into memory first). It imports nothing heavy: only Node's http and the server's timeouts.
 *
 * While starting: /healthz 200; /readyz 503 `{status: 'starting', phase, ...}`; anything else 503
 * `{error}` with Retry-After, and WebSocket upgrades a 503 too. `serve` hands the server to the application.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { createHttpServer, type HttpTimeouts } from './http-server.js';

/** What the start is doing, as /readyz reports it until the application answers. */
export interface StartupProgress {
  phase: 'loading' | 'opening stores' | 'loading read models' | 'building the API';
  /** While read models are loaded into memory: documents loaded so far, of how many. */
  documentsLoaded?: number;
  documentsTotal?: number;
}

export const STARTING_ERROR = 'The server is starting. Try again shortly.';
/** Seconds a client is told to wait before asking again. */
const RETRY_AFTER_SECONDS = 1;

export interface StartingServer {
  readonly server: http.Server;
  /** Where it listens, e.g. http://127.0.0.1:8000 */
  readonly url: string;
  report(progress: StartupProgress): void;
  /** From now on requests go to `app`; upgrade listeners added after this call take WebSocket upgrades. */
  serve(app: http.RequestListener): void;
}

function answer(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(json),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(json);
}

function refuseUpgrade(_req: http.IncomingMessage, socket: Duplex) {
  const json = JSON.stringify({ error: STARTING_ERROR });
  socket.end(
    `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nRetry-After: ${RETRY_AFTER_SECONDS}\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}

/** Listens on `port` and `host` with the starting answers; rejects when the port cannot be had. */
export async function listenWhileStarting(timeouts: HttpTimeouts, port: number, host: string): Promise<StartingServer> {
  let progress: StartupProgress = { phase: 'loading' };
  const starting: http.RequestListener = (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') answer(res, 200, { status: 'ok' });
    else if (path === '/readyz') answer(res, 503, { status: 'starting', ...progress });
    else answer(res, 503, { error: STARTING_ERROR }, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
  };
  let handler = starting;
  const server = createHttpServer(timeouts, (req, res) => handler(req, res));
  server.on('upgrade', refuseUpgrade);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}`,
    report(next) {
      progress = next;
    },
    serve(app) {
      handler = app;
      server.off('upgrade', refuseUpgrade);
    },
  };
}
