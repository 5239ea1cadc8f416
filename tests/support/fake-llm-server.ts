import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small real HTTP server streaming a language model's answer as server-sent events: the common
 * part of the fake OpenAI and Anthropic servers (tests, e2e tests and the bench use them).
 */
export interface FakeLlmOptions {
  /** The answer's tokens, or a function of the request body choosing them. */
  tokens: string[] | ((body: any) => string[]);
  /** Pause before each token, in ms (0: write them all at once, as fast as the socket takes them). */
  delayMs: number;
  /** Answer this HTTP status with the protocol's error body instead of streaming (a function: per request). */
  status: number | null | ((body: any) => number | null);
  /** The error body's message (for status or errorAfter). */
  errorMessage: string;
  /** Accept the request and send nothing (not even headers) until the client goes away. */
  hang: boolean;
  /** Stream this many tokens, then stay silent until the client goes away. */
  stallAfter: number | null;
  /** Stream this many tokens, then destroy the connection. */
  dropAfter: number | null;
  /** Stream this many tokens, then an in-stream error event. */
  errorAfter: number | null;
  /** Model names served; another name gets a 404 as the real APIs give. Null: any name. */
  models: string[] | null;
  /**
   * The streamed answer as whole SSE frames, chosen from the request body, instead of `tokens`
   * (tool-calling answers; see fake-agent-providers.ts). stallAfter, dropAfter and errorAfter count
   * `pieces`.
   */
  frames: ((body: any) => StreamFrames) | null;
}

/** One streamed answer: what comes before the pieces, the pieces (each may be delayed), what comes after. */
export interface StreamFrames {
  opening: string;
  pieces: string[];
  closing: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  /** True once the client went away before the answer was complete. */
  aborted: boolean;
  /** Settles when the exchange is over: answered in full or abandoned by the client. */
  finished: Promise<void>;
}

export interface FakeLlmServer {
  url: string;
  requests: RecordedRequest[];
  /** Changes the options for the following requests. */
  set(options: Partial<FakeLlmOptions>): void;
  close(): Promise<void>;
}

/** How one protocol frames an answer. */
export interface LlmProtocol {
  /** The path of the streaming endpoint, e.g. /v1/chat/completions. */
  path: string;
  errorBody(status: number, message: string, body: any): unknown;
  /** SSE text before the first token, for one token, after the last; the in-stream error. */
  opening(body: any): string;
  token(token: string, body: any): string;
  closing(body: any): string;
  streamError(message: string): string;
  /** The whole answer as one JSON response, for requests that do not ask to stream. */
  complete(text: string, body: any): unknown;
  modelNotFound(model: string): { status: number; body: unknown };
}

export const DEFAULT_TOKENS = ['Hello', ',', ' world', '!'];

export async function startFakeLlmServer(
  protocol: LlmProtocol,
  initial: Partial<FakeLlmOptions> = {},
): Promise<FakeLlmServer> {
  let options: FakeLlmOptions = {
    tokens: DEFAULT_TOKENS,
    delayMs: 0,
    status: null,
    errorMessage: 'Upstream failure',
    hang: false,
    stallAfter: null,
    dropAfter: null,
    errorAfter: null,
    models: null,
    frames: null,
    ...initial,
  };
  const requests: RecordedRequest[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: any;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
      } catch {
        body = Buffer.concat(chunks).toString('utf8');
      }
      let settle!: () => void;
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        aborted: false,
        finished: new Promise<void>((resolve) => (settle = resolve)),
      };
      requests.push(recorded);
      res.on('close', () => {
        if (!res.writableFinished) recorded.aborted = true;
        settle();
      });
      void answer(protocol, { ...options }, body, req, res);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    set(changes) {
      options = { ...options, ...changes };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function answer(
  protocol: LlmProtocol,
  o: FakeLlmOptions,
  body: any,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const json = (status: number, payload: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload));
  };
  if (req.method !== 'POST' || req.url?.split('?')[0] !== protocol.path)
    return json(404, { error: { message: `No route ${req.method} ${req.url}` } });
  if (o.hang) return; // the client's abort (or close()) ends it
  const status = typeof o.status === 'function' ? o.status(body) : o.status;
  if (status !== null) return json(status, protocol.errorBody(status, o.errorMessage, body));
  if (o.models && !o.models.includes(body?.model)) {
    const { status, body: payload } = protocol.modelNotFound(String(body?.model));
    return json(status, payload);
  }
  let frames: StreamFrames;
  if (o.frames) frames = o.frames(body);
  else {
    const tokens = typeof o.tokens === 'function' ? o.tokens(body) : o.tokens;
    if (body?.stream !== true) return json(200, protocol.complete(tokens.join(''), body));
    frames = {
      opening: protocol.opening(body),
      pieces: tokens.map((token) => protocol.token(token, body)),
      closing: protocol.closing(body),
    };
  }

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.write(frames.opening);
  const { pieces } = frames;
  for (let i = 0; i < pieces.length; i++) {
    if (res.destroyed) return;
    if (i === o.stallAfter) return; // silent until the client gives up
    if (i === o.dropAfter) return void res.socket?.destroy();
    if (i === o.errorAfter) return void res.end(protocol.streamError(o.errorMessage));
    if (o.delayMs > 0) await sleep(o.delayMs);
    res.write(pieces[i]);
  }
  if (pieces.length === o.stallAfter) return;
  res.end(frames.closing);
}
