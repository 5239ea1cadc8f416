/**
 * graphql-ws clients for the e2e suites: connect (the token goes in connection_init, as browsers send
 * it), run one operation, or subscribe and wait for what is expected; then close.
 */
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface ConnectOptions {
  /** An access token or API key, sent as `{ Authorization: "Bearer ..." }` in connection_init. */
  token?: string | null;
  /** Other connection_init payloads, for tests of what the server does with them. */
  connectionParams?: Record<string, unknown>;
  /** false: open the socket at once rather than on the first operation. */
  lazy?: boolean;
  /** Told how the socket closed (its code and reason). */
  onClosed?: (event: { code: number; reason: string }) => void;
  webSocketImpl?: unknown;
}

const open = new Set<Client>();

/** A client of `server`'s /graphql that never reconnects: a refused socket ends its operations. */
export function connectGraphqlWs(server: { url: string }, options: ConnectOptions = {}): Client {
  const client = createClient({
    url: `${server.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: options.webSocketImpl ?? WebSocket,
    connectionParams:
      options.connectionParams ?? (options.token ? { Authorization: `Bearer ${options.token}` } : undefined),
    retryAttempts: 0,
    lazy: options.lazy ?? true,
    onNonLazyError: () => {}, // the operations on it report the failure
    on: options.onClosed
      ? { closed: (event) => options.onClosed!(event as { code: number; reason: string }) }
      : undefined,
  });
  open.add(client);
  return client;
}

/** Closes every client this file connected (for afterAll). */
export async function closeGraphqlWsClients(): Promise<void> {
  const clients = [...open];
  open.clear();
  await Promise.all(clients.map((c) => c.dispose()));
}

export interface GraphqlResult {
  data?: any;
  errors?: any[];
}

/** One query or mutation over the client's socket: its result, or a rejection with what ended it. */
export function execute(client: Client, query: string, variables?: Record<string, unknown>): Promise<GraphqlResult> {
  return new Promise((resolve, reject) => {
    let result: GraphqlResult | undefined;
    client.subscribe(
      { query, variables },
      { next: (r) => (result = r as GraphqlResult), error: reject, complete: () => resolve(result!) },
    );
  });
}

/** A live subscription: every payload received, whether it ended (and how), and a way to wait for what is expected. */
export function subscribe(client: Client, query: string, variables?: Record<string, unknown>) {
  const results: any[] = [];
  const state = { completed: false, error: null as unknown };
  let wake: (() => void)[] = [];
  const notify = () => {
    const waiting = wake;
    wake = [];
    for (const w of waiting) w();
  };
  const unsubscribe = client.subscribe(
    { query, variables },
    {
      next: (value) => {
        results.push(value);
        notify();
      },
      error: (err) => {
        state.error = err;
        state.completed = true;
        notify();
      },
      complete: () => {
        state.completed = true;
        notify();
      },
    },
  );
  /** Resolves once `check` holds; the deadline only turns a hang into a readable failure. */
  async function until(check: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    while (!check()) {
      if (Date.now() > deadline)
        throw new Error(
          `waited for ${what}; received ${JSON.stringify(results)}, error ${JSON.stringify(state.error)}`,
        );
      await new Promise<void>((resolve) => {
        wake.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }
  /** Resolves once `count` payloads arrived. */
  const received = (count: number, what = `${count} payloads`) => until(() => results.length >= count, what);
  return { results, state, until, received, unsubscribe };
}

export type Subscription = ReturnType<typeof subscribe>;

/**
 * graphql-ws does not acknowledge a subscription, so poke (make a change the subscription reports)
 * until the first payload arrives: from then on it is live and hears every later change in order.
 */
export async function untilLive(sub: Subscription, poke: (attempt: number) => Promise<unknown>): Promise<void> {
  for (let attempt = 0; attempt < 40 && !sub.state.completed; attempt++) {
    await poke(attempt);
    try {
      await sub.until(() => sub.results.length > 0 || sub.state.completed, 'a first payload', 300);
    } catch {
      continue; // not live yet: poke again
    }
    if (sub.results.length > 0) return;
  }
  throw new Error(
    `subscription never became live; ended: ${sub.state.completed}, error: ${JSON.stringify(sub.state.error)}, received: ${JSON.stringify(sub.results)}`,
  );
}
