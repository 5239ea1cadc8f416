import type { RawData, WebSocket } from 'ws';
import { INTERNAL_ERROR } from '../transport/errors.js';

/** A frame as the client sent it: each handler checks the fields it reads before using them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ClientFrame = Record<string, any>;

const NOT_JSON_OBJECTS = 'Messages must be JSON objects.';

export interface FrameHandling {
  /**
   * Whether JSON that is not an object (null, an array, a number, a string) is refused here like text
   * that is not JSON; otherwise `handle` receives it and answers it as its own unknown message.
   */
  objectsOnly: boolean;
  /** The socket as the log names it ("chat socket"). */
  what: string;
  handle(frame: ClientFrame): Promise<void>;
  /** Sends the client an `error` frame with this message. */
  sendError(error: string): void;
  log(err: unknown, what: string): void;
}

/**
 * Hands each frame a client sends on a workspace socket, text or binary, parsed as JSON, to `handle`.
 * A frame that is not JSON gets an `error` frame and the socket stays open; a handler that fails
 * unexpectedly is logged and answered with the masked internal error.
 */
export function onClientFrames(ws: WebSocket, handling: FrameHandling): void {
  ws.on('message', (data, isBinary) => {
    const frame = parsed(data, isBinary);
    if (frame === NOT_JSON || (handling.objectsOnly && !isObject(frame))) return handling.sendError(NOT_JSON_OBJECTS);
    handling.handle(frame as ClientFrame).catch((err) => {
      handling.log(err, `${handling.what} message failed`);
      handling.sendError(INTERNAL_ERROR);
    });
  });
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
