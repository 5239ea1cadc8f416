import { type WebSocket, WebSocketServer } from 'ws';
import type { AgentFrame } from '../commands/agents/frames.js';
import { DomainError } from '../domain/shared/errors.js';
import type { TransportDeps } from '../transport/deps.js';
import { INTERNAL_ERROR } from '../transport/errors.js';
import { type ClientFrame, onClientFrames } from './client-frames.js';
import type { SocketClient, VerifiedRequest } from './workspace-handshake.js';
import { socketClient, socketCommandContext, workspaceHandshake } from './workspace-handshake.js';

const PATH = /^\/ws\/agent\/([^/]+)\/?$/;
const MAX_MESSAGE_BYTES = 1024 * 1024;
const NOT_THIS_SOCKETS = 'No invocation of this socket has this id.';

interface Connection extends SocketClient {
  /** The invocations started on this socket (only these may be answered or closed here). */
  invocations: Set<string>;
}

/**
 * The Agent WebSocket, `/ws/agent/{slug}/?token=<access JWT or API key>`: `invoke` starts an invocation
 * (several may run at once), `tool_response` answers one of its `tool_call`s, `close` cancels one or
 * all of them. Frames come from the runtime (commands/agents) as each step is recorded. A bad frame
 * gets an `error` frame and the socket stays open; the socket closing cancels its invocations.
 */
export function agentSocketServer(deps: TransportDeps, log: (err: unknown, what: string) => void) {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    verifyClient: workspaceHandshake(deps, PATH, { apiKeys: true, what: 'agent socket' }, log),
  });

  wss.on('connection', (ws: WebSocket, req: VerifiedRequest) => {
    const conn: Connection = { ...socketClient(ws, req), invocations: new Set() };
    ws.on('close', () => cancelAll(conn));
    ws.on('error', () => ws.terminate());
    onClientFrames(deps, conn, { objectsOnly: true, what: 'agent socket', log }, handle);
  });

  async function handle(conn: Connection, message: ClientFrame) {
    const id = typeof message.invocation_id === 'string' ? message.invocation_id : undefined;
    try {
      switch (message.type) {
        case 'invoke':
          return await invoke(conn, message);
        case 'tool_response':
          if (!id || !conn.invocations.has(id)) throw refusal(NOT_THIS_SOCKETS);
          return deps.agentInvocations.respond(conn.actor, message);
        case 'close':
          if (message.invocation_id === undefined) return cancelAll(conn);
          if (!id || !conn.invocations.has(id)) throw refusal(NOT_THIS_SOCKETS);
          deps.agentInvocations.close(conn.actor, id);
          return;
        default:
          return send(conn, { type: 'error', error: 'Unknown message type: use invoke, tool_response or close.' });
      }
    } catch (err) {
      refuse(conn, err, id);
    }
  }

  async function invoke(conn: Connection, message: ClientFrame) {
    const { type: _type, ...input } = message;
    const invocation = await deps.agentInvocations.invoke(
      input,
      conn.workspace.slug,
      socketCommandContext(conn),
      (frame) => send(conn, frame),
    );
    conn.invocations.add(invocation.invocationId);
    void invocation.done.then(() => conn.invocations.delete(invocation.invocationId));
    // The socket closed while the invocation was being started: it is cancelled like the others.
    if (conn.ws.readyState !== conn.ws.OPEN) cancelAll(conn);
  }

  function cancelAll(conn: Connection) {
    for (const id of conn.invocations) {
      try {
        deps.agentInvocations.close(conn.actor, id);
      } catch {
        // Already closed: nothing to cancel.
      }
    }
  }

  /** A refusal as an error frame; anything unexpected is logged and masked. */
  function refuse(conn: Connection, err: unknown, invocationId?: string) {
    const about = invocationId ? { invocation_id: invocationId } : {};
    if (!(err instanceof DomainError)) {
      log(err, 'agent socket command failed');
      return send(conn, { type: 'error', ...about, error: INTERNAL_ERROR });
    }
    send(conn, { type: 'error', ...about, error: describe(err) });
  }

  return {
    wss,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

const refusal = (message: string) => new DomainError('validation', message);

/** The error's message, with the fields it names when it is a bare "Validation failed.". */
function describe(err: DomainError): string {
  const fields = Object.entries(err.fieldErrors ?? {});
  if (err.message !== 'Validation failed.' || !fields.length) return err.message;
  return fields.map(([field, problems]) => `${field}: ${problems.join(' ')}`).join(' ');
}

function send(conn: Connection, frame: AgentFrame): void {
  if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify(frame));
}
