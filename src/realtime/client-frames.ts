import type { RawData, WebSocket } from 'ws';
import type { TransportDeps } from '../transport/deps.js';
import { INTERNAL_ERROR } from '../transport/errors.js';
import { type SocketClient, stillAllowed } from './workspace-handshake.js';

/** A frame as the client sent it: each handler checks the fields it reads before using them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ClientFrame = Record<string, any>;

export interface FrameHandling {
  /**
   * Whether JSON that is not an object (null, an array, a number, a string) is refused at once like
   * text that is not JSON; otherwise the handler receives it and answers it as its own unknown message.
   */
  objectsOnly: boolean;
  /** The socket as the log names it ("chat socket"). */
  what: string;
  log(err: unknown, what: string): void;
}

const NOT_JSON_OBJECTS = 'Messages must be JSON objects.';

/**
 * Hands each frame a client sends on a workspace socket, text or binary, parsed as JSON, to `handle`,
 * once the client may still use the workspace (stillAllowed: otherwise the socket closes and the frame
 * is dropped). A frame that is not JSON gets an `error` frame and the socket stays open; a handler that
 * fails unexpectedly is logged and answered with the masked internal error.
 */
export function onClientFrames<C extends SocketClient>(
  deps: Pick<TransportDeps, 'db'>,
  client: C,
  handling: FrameHandling,
  handle: (client: C, frame: ClientFrame) => Promise<void>,
): void {
  client.ws.on('message', (data, isBinary) => {
    const frame = parsed(data, isBinary);
    if (frame === NOT_JSON || (handling.objectsOnly && !isObject(frame))) return sendError(client.ws, NOT_JSON_OBJECTS);
    whileAllowed(frame as ClientFrame).catch((err) => {
      handling.log(err, `${handling.what} message failed`);
      sendError(client.ws, INTERNAL_ERROR);
    });
  });

  async function whileAllowed(frame: ClientFrame) {
    const actor = await stillAllowed(deps, client.ws, client.session, client.workspace);
    if (!actor) return;
    client.actor = actor;
    await handle(client, frame);
  }
}

const NOT_JSON = Symbol('not JSON');

function parsed(data: RawData, isBinary: boolean): unknown {
  try {
    return JSON.parse(isBinary ? Buffer.from(data as Buffer).toString() : data.toString());
  } catch {
    return NOT_JSON;
  }
}

const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);

function sendError(ws: WebSocket, error: string): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'error', error }));
}
