import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { VerifyClientCallbackAsync, WebSocket } from 'ws';
import { authenticateSession, type BearerSession } from '../commands/access/authenticate.js';
import type { Actor, CommandContext } from '../commands/shared/context.js';
import { DomainError } from '../domain/shared/errors.js';
import { findWorkspaceById, findWorkspaceBySlug } from '../projections/workspaces/queries.js';
import { clientAddress } from '../transport/client-address.js';
import { commandContextFor } from '../transport/command-context.js';
import type { TransportDeps } from '../transport/deps.js';

export interface SocketWorkspace {
  id: number;
  slug: string;
}

/** What a workspace socket's handshake established, kept on the request for the `connection` handler. */
export type VerifiedRequest = IncomingMessage & {
  chronicle?: { session: BearerSession; workspace: SocketWorkspace };
};

/** What a workspace socket keeps of its client: who, in which workspace, from where. */
export interface SocketClient {
  ws: WebSocket;
  actor: Actor;
  /** Asked again before each message: a user suspended (or re-passworded) since the handshake is cut off. */
  session: BearerSession;
  workspace: SocketWorkspace;
  ip: string | null;
  userAgent: string | null;
}

/** The client of a socket whose request the handshake verified. */
export function socketClient(ws: WebSocket, req: VerifiedRequest): SocketClient {
  const { session, workspace } = req.chronicle!;
  return {
    ws,
    actor: session.actor,
    session,
    workspace,
    ip: clientAddress(req),
    userAgent: req.headers['user-agent'] ?? null,
  };
}

/** The slug of the path, or null for a malformed escape (`%zz`): no workspace has that name. */
function decodedSlug(slug: string): string | null {
  try {
    return decodeURIComponent(slug);
  } catch {
    return null;
  }
}

/**
 * The handshake of a socket on `/ws/<kind>/{slug}/?token=...`: a missing or bad token is refused with
 * 401, a workspace the user may not see (or none of that slug) with 404. `ready` runs before the socket
 * opens (e.g. to subscribe to what it relays), so nothing sent right after "open" is missed.
 */
export function workspaceHandshake(
  deps: TransportDeps,
  path: RegExp,
  options: { apiKeys: boolean; what: string },
  log: (err: unknown, what: string) => void,
  ready: (workspace: SocketWorkspace) => Promise<void> = async () => {},
): VerifyClientCallbackAsync {
  return (info, done) => {
    const req = info.req as VerifiedRequest;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const slug = path.exec(url.pathname)?.[1];
    const token = url.searchParams.get('token');
    const decoded = slug && decodedSlug(slug);
    if (!decoded) return done(false, 404, 'Not Found');
    if (!token) return done(false, 401, 'Unauthorized');
    authenticateSession(deps, token, { apiKeys: options.apiKeys })
      .then(async (session) => {
        const ws = await findWorkspaceBySlug(deps.db, session.actor, decoded);
        if (!ws) return done(false, 404, 'Not Found');
        const workspace = { id: ws.id, slug: ws.slug };
        req.chronicle = { session, workspace };
        await ready(workspace);
        done(true);
      })
      .catch((err) => {
        if (!(err instanceof DomainError)) log(err, `${options.what} handshake failed`);
        done(
          false,
          err instanceof DomainError ? 401 : 500,
          err instanceof DomainError ? 'Unauthorized' : 'Internal Server Error',
        );
      });
  };
}

/**
 * Before each message: the actor as things stand now, or null once the socket must go, which it then
 * closes (4401 for a user suspended, deleted or re-passworded since the handshake; 4404 when the user may
 * no longer see the workspace, as its handshake would now be refused).
 */
export async function stillAllowed(
  deps: Pick<TransportDeps, 'db'>,
  socket: { close(code: number, reason: string): void },
  session: BearerSession,
  workspace: SocketWorkspace,
): Promise<Actor | null> {
  let actor: Actor;
  try {
    actor = await session.current();
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    socket.close(4401, 'Unauthorized');
    return null;
  }
  if (!(await findWorkspaceById(deps.db, actor, workspace.id))) {
    socket.close(4404, 'Not Found');
    return null;
  }
  return actor;
}

/** The command context of one message on a workspace socket: its own request id, the socket's client. */
export function socketCommandContext(conn: {
  actor: Actor;
  ip: string | null;
  userAgent: string | null;
}): CommandContext {
  return commandContextFor({
    actor: conn.actor,
    requestId: `ws-${randomUUID()}`,
    idempotencyKey: null,
    ip: conn.ip,
    userAgent: conn.userAgent,
  });
}
