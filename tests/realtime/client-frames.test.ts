import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { type ClientFrame, onClientFrames } from '../../src/realtime/client-frames.js';

/** A socket that receives frames as ws emits them, with what the handling did about each. */
function socketWith(objectsOnly: boolean, handle: (frame: ClientFrame) => Promise<void> = async () => {}) {
  const ws = new EventEmitter();
  const handled: unknown[] = [];
  const errors: string[] = [];
  const logged: string[] = [];
  onClientFrames(ws as unknown as WebSocket, {
    objectsOnly,
    what: 'test socket',
    handle: (frame) => {
      handled.push(frame);
      return handle(frame);
    },
    sendError: (error) => errors.push(error),
    log: (_err, what) => logged.push(what),
  });
  return {
    handled,
    errors,
    logged,
    text: (raw: string) => ws.emit('message', Buffer.from(raw), false),
    binary: (raw: string) => ws.emit('message', Buffer.from(raw), true),
  };
}

describe('frames a client sends on a workspace socket', () => {
  it.each([true, false])('hands a JSON object, sent as text or binary, to the handler (objectsOnly %s)', (only) => {
    const socket = socketWith(only);
    socket.text('{"type":"chat","message":"héllo"}');
    socket.binary('{"type":"typing","typing":true}');
    expect(socket.handled).toEqual([
      { type: 'chat', message: 'héllo' },
      { type: 'typing', typing: true },
    ]);
    expect(socket.errors).toEqual([]);
  });

  it.each([true, false])(
    'answers a frame that is not JSON with an error and hands it on to no one (objectsOnly %s)',
    (only) => {
      const socket = socketWith(only);
      socket.text('{not json');
      socket.binary('');
      expect(socket.errors).toEqual(['Messages must be JSON objects.', 'Messages must be JSON objects.']);
      expect(socket.handled).toEqual([]);
    },
  );

  it('refuses JSON that is not an object when only objects are taken', () => {
    const socket = socketWith(true);
    for (const raw of ['null', '[1,2]', '7', '"invoke"']) socket.text(raw);
    expect(socket.errors).toEqual(Array(4).fill('Messages must be JSON objects.'));
    expect(socket.handled).toEqual([]);
  });

  it('hands JSON that is not an object to the handler, which answers it, when it takes any JSON', () => {
    const socket = socketWith(false);
    for (const raw of ['null', '[1,2]', '7', '"chat"']) socket.text(raw);
    expect(socket.handled).toEqual([null, [1, 2], 7, 'chat']);
    expect(socket.errors).toEqual([]);
  });

  it('logs a handler that fails unexpectedly and answers with the masked internal error', async () => {
    const socket = socketWith(true, async () => {
      throw new Error('database is locked at /srv/chronicle/events.db');
    });
    socket.text('{"type":"invoke"}');
    await new Promise((resolve) => setImmediate(resolve));
    expect(socket.logged).toEqual(['test socket message failed']);
    expect(socket.errors).toEqual(['Internal server error. Please try again later.']);
  });
});
