import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import type { Actor } from '../../src/commands/shared/context.js';
import { unauthorized } from '../../src/domain/shared/errors.js';
import { MemoryReadStore } from '../../src/infra/readstore/memory.js';
import { WORKSPACES } from '../../src/projections/workspaces/projection.js';
import { type ClientFrame, onClientFrames } from '../../src/realtime/client-frames.js';

const member: Actor = { type: 'user', userId: 7, role: 'default' };

/** A socket as ws emits a client's frames, with what was handled, sent back, logged and closed. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  readonly sent: unknown[] = [];
  closedWith: number | null = null;
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code: number) {
    this.closedWith = code;
  }
}

async function socketWith(
  objectsOnly: boolean,
  {
    current = async () => member,
    handle = async () => {},
  }: Partial<{
    current: () => Promise<Actor>;
    handle: (frame: ClientFrame) => Promise<void>;
  }> = {},
) {
  const db = new MemoryReadStore();
  await db.collection(WORKSPACES).insertOne({ _id: '1', id: 1, slug: 'handbook', members: [member.userId] });
  const ws = new FakeSocket();
  const handled: unknown[] = [];
  const logged: string[] = [];
  const client = {
    ws: ws as unknown as WebSocket,
    actor: member,
    session: { actor: member, current },
    workspace: { id: 1, slug: 'handbook' },
    ip: '127.0.0.1',
    userAgent: null,
  };
  onClientFrames(
    { db },
    client,
    { objectsOnly, what: 'test socket', log: (_err, what) => logged.push(what) },
    async (_client, frame) => {
      handled.push(frame);
      await handle(frame);
    },
  );
  return {
    ws,
    handled,
    logged,
    /** Sends raw frames as text (or binary) and waits until their handling settled. */
    async send(raws: string[], isBinary = false) {
      for (const raw of raws) ws.emit('message', Buffer.from(raw), isBinary);
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  };
}

describe('frames a client sends on a workspace socket', () => {
  it.each([true, false])(
    'hands JSON objects, sent as text or binary, to the handler (objectsOnly %s)',
    async (only) => {
      const socket = await socketWith(only);
      await socket.send(['{"type":"chat","message":"héllo"}']);
      await socket.send(['{"type":"typing","typing":true}'], true);
      expect(socket.handled).toEqual([
        { type: 'chat', message: 'héllo' },
        { type: 'typing', typing: true },
      ]);
      expect(socket.ws.sent).toEqual([]);
    },
  );

  it.each([true, false])('answers a frame that is not JSON with an error frame (objectsOnly %s)', async (only) => {
    const socket = await socketWith(only);
    await socket.send(['{not json']);
    await socket.send([''], true);
    expect(socket.ws.sent).toEqual(Array(2).fill({ type: 'error', error: 'Messages must be JSON objects.' }));
    expect(socket.handled).toEqual([]);
    expect(socket.ws.closedWith).toBeNull();
  });

  it('refuses JSON that is not an object when only objects are taken', async () => {
    const socket = await socketWith(true);
    await socket.send(['null', '[1,2]', '7', '"invoke"']);
    expect(socket.ws.sent).toEqual(Array(4).fill({ type: 'error', error: 'Messages must be JSON objects.' }));
    expect(socket.handled).toEqual([]);
  });

  it('hands JSON that is not an object to the handler, which answers it, when it takes any JSON', async () => {
    const socket = await socketWith(false);
    await socket.send(['null', '[1,2]', '7', '"chat"']);
    expect(socket.handled).toEqual([null, [1, 2], 7, 'chat']);
    expect(socket.ws.sent).toEqual([]);
  });

  it('closes the socket with 4401 instead of handling a frame once the user may no longer act', async () => {
    const socket = await socketWith(true, { current: () => Promise.reject(unauthorized('Suspended.')) });
    await socket.send(['{"type":"invoke"}']);
    expect(socket.ws.closedWith).toBe(4401);
    expect(socket.handled).toEqual([]);
  });

  it('logs a handler that fails unexpectedly and answers with the masked internal error', async () => {
    const socket = await socketWith(true, {
      handle: () => Promise.reject(new Error('database is locked at /srv/chronicle/events.db')),
    });
    await socket.send(['{"type":"invoke"}']);
    expect(socket.logged).toEqual(['test socket message failed']);
    expect(socket.ws.sent).toEqual([{ type: 'error', error: 'Internal server error. Please try again later.' }]);
  });
});
