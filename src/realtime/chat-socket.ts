import { randomUUID } from 'node:crypto';
import { type WebSocket, WebSocketServer } from 'ws';
import { giveFeedback } from '../commands/chats/feedback.js';
import { ChatFailure, INTERNAL_FAILURE, startChat } from '../commands/chats/send.js';
import { DomainError } from '../domain/shared/errors.js';
import { NotYetReadableError } from '../projections/shared/progress.js';
import { seenBy, workspaceAfter } from '../projections/workspaces/queries.js';
import { type TransportDeps, settled } from '../transport/deps.js';
import { INTERNAL_ERROR } from '../transport/errors.js';
import { type ClientFrame, onClientFrames } from './client-frames.js';
import type { SocketClient, VerifiedRequest } from './workspace-handshake.js';
import { socketClient, socketCommandContext, workspaceHandshake } from './workspace-handshake.js';

export const CHAT_SOCKET_PREFIX = '/ws/chat/';
const PATH = /^\/ws\/chat\/([^/]+)\/?$/;
const typingChannel = (workspaceId: number) => `chronicle.chat-typing.${workspaceId}`;
const MAX_MESSAGE_BYTES = 1024 * 1024;

interface TypingNotice {
  userId: number;
  typing: boolean;
}

interface Connection extends SocketClient {
  /** Answers still streaming on this socket: closing it cancels them. */
  running: Set<AbortController>;
}

/**
 * The chat WebSocket, `/ws/chat/{slug}/?token=<access JWT>`: the same commands as stream_chat and
 * feedback, and typing indicators relayed to the workspace's other members through pub/sub (so they
 * cross processes when Redis is configured). A bad token or a workspace the user may not see is
 * refused at the handshake (401 / 404).
 */
export function chatSocketServer(deps: TransportDeps, log: (err: unknown, what: string) => void) {
  /** Per workspace with sockets here: its connections, those still in the handshake, and the typing subscription. */
  const rooms = new Map<
    number,
    { connections: Set<Connection>; joining: number; unsubscribe: Promise<() => Promise<void>> }
  >();

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    verifyClient: workspaceHandshake(deps, PATH, { apiKeys: false, what: 'chat socket' }, log, async (workspace) => {
      // The typing relay listens before the socket opens, so nothing sent right after "open" is missed.
      const room = enterRoom(workspace.id);
      room.joining += 1;
      await room.unsubscribe;
    }),
  });

  function enterRoom(workspaceId: number) {
    let room = rooms.get(workspaceId);
    if (!room) {
      const connections = new Set<Connection>();
      // Relayed one notice after another (in order), each to those who are members still.
      let relaying = Promise.resolve();
      const unsubscribe = deps.pubsub.subscribe(typingChannel(workspaceId), (message) => {
        relaying = relaying
          .then(() => relayTyping(workspaceId, connections, message as TypingNotice))
          .catch((err) => log(err, 'typing relay failed'));
      });
      rooms.set(workspaceId, (room = { connections, joining: 0, unsubscribe }));
    }
    return room;
  }

  /** One read of the workspace per notice: a connection whose user may no longer see it is closed instead. */
  async function relayTyping(workspaceId: number, connections: Set<Connection>, notice: TypingNotice) {
    const others = [...connections].filter((other) => other.actor.userId !== notice.userId);
    if (!others.length) return;
    const workspace = await workspaceAfter(deps.db, workspaceId, deps.progress.position);
    for (const other of others) {
      if (seenBy(other.actor, workspace))
        send(other, { type: 'typing', user_id: notice.userId, typing: notice.typing });
      else shutOut(other);
    }
  }

  /** Removed from the workspace (or it was deleted): the socket closes, as its handshake would now be refused. */
  function shutOut(conn: Connection) {
    conn.ws.close(4404, 'Not Found');
  }

  function join(conn: Connection) {
    const room = enterRoom(conn.workspace.id);
    room.joining = Math.max(0, room.joining - 1);
    room.connections.add(conn);
  }

  function leave(conn: Connection) {
    for (const controller of conn.running) controller.abort();
    const room = rooms.get(conn.workspace.id);
    if (!room) return;
    room.connections.delete(conn);
    if (room.connections.size === 0 && room.joining === 0) {
      rooms.delete(conn.workspace.id);
      room.unsubscribe.then((stop) => stop()).catch((err) => log(err, 'typing unsubscribe failed'));
    }
  }

  wss.on('connection', (ws: WebSocket, req: VerifiedRequest) => {
    const conn: Connection = { ...socketClient(ws, req), running: new Set() };
    join(conn);
    ws.on('close', () => leave(conn));
    ws.on('error', () => ws.terminate());
    // JSON that is not an object reaches handle(), which answers it as an unknown message type.
    onClientFrames(deps, conn, { objectsOnly: false, what: 'chat socket', log }, handle);
  });

  async function handle(conn: Connection, message: ClientFrame) {
    switch (message?.type) {
      case 'chat':
        return chat(conn, message);
      case 'typing':
        if (typeof message.typing !== 'boolean')
          return send(conn, { type: 'error', error: 'typing must be true or false.' });
        return deps.pubsub.publish(typingChannel(conn.workspace.id), {
          userId: conn.actor.userId,
          typing: message.typing,
        } satisfies TypingNotice);
      case 'feedback':
        try {
          const { chatId, position } = await giveFeedback(
            deps.store,
            { chat_id: message.chat_id, feedback: message.feedback, comment: message.comment },
            socketCommandContext(conn),
          );
          await settled(deps, position);
          return send(conn, {
            type: 'feedback_saved',
            chat_id: chatId,
            feedback: message.feedback,
            comment: message.comment ?? null,
          });
        } catch (err) {
          return refuse(conn, err);
        }
      default:
        return send(conn, { type: 'error', error: 'Unknown message type: use chat, typing or feedback.' });
    }
  }

  async function chat(conn: Connection, message: ClientFrame) {
    const id = randomUUID();
    // Registered before the chat is accepted: a socket closing meanwhile cancels it (answer() then stops the model at once).
    const controller = new AbortController();
    conn.running.add(controller);
    if (conn.ws.readyState !== conn.ws.OPEN) controller.abort();
    let started;
    try {
      started = await startChat(
        deps,
        {
          message: message.message,
          workspace_slug: conn.workspace.slug,
          mode: message.mode,
          thread_id: message.thread_id,
          attachments: message.attachments,
        },
        socketCommandContext(conn),
      );
    } catch (err) {
      conn.running.delete(controller);
      return refuse(conn, err, id);
    }
    send(conn, { type: 'chat_start', id });
    try {
      const answer = await started.answer((token) => send(conn, { type: 'chat_token', id, token }), controller.signal);
      await settled(deps, answer.position);
      send(conn, { type: 'chat_complete', id, chat_id: answer.chatId });
    } catch (err) {
      const failure =
        err instanceof ChatFailure
          ? err
          : err instanceof NotYetReadableError
            ? new ChatFailure(err.message, started.chatId)
            : new ChatFailure(INTERNAL_FAILURE, started.chatId, err);
      if (failure.cause) log(failure.cause, 'chat failed');
      send(conn, { type: 'error', id, error: failure.message });
    } finally {
      conn.running.delete(controller);
    }
  }

  /** A refusal (validation, limit, permission) as an error frame; anything unexpected is logged and masked. */
  function refuse(conn: Connection, err: unknown, id?: string) {
    if (err instanceof NotYetReadableError)
      return send(conn, { type: 'error', ...(id ? { id } : {}), error: err.message });
    if (!(err instanceof DomainError)) {
      log(err, 'chat socket command failed');
      return send(conn, { type: 'error', ...(id ? { id } : {}), error: INTERNAL_ERROR });
    }
    send(conn, {
      type: 'error',
      ...(id ? { id } : {}),
      error: err.message,
      ...(err.fieldErrors ? { field_errors: err.fieldErrors } : {}),
    });
  }

  return {
    wss,
    async close() {
      for (const client of wss.clients) client.terminate();
      await Promise.all([...rooms.values()].map((room) => room.unsubscribe.then((stop) => stop())));
      rooms.clear();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function send(conn: Connection, frame: object): void {
  if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify(frame));
}
