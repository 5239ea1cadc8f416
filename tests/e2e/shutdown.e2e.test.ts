import WebSocket from 'ws';
import { ChatSocketClient } from '../support/chat-socket.js';
import { api, bearer, registerAndLogin, startTestServer } from '../support/server.js';

/** A socket that has not yet seen its close; resolves with the close code once it does. */
const closeOf = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

describe('shutdown', () => {
  it('closes while WebSocket clients are still connected, and their sockets end', async () => {
    const server = await startTestServer();
    const { access } = await registerAndLogin(server, 'shutdown_admin');
    const ws = (await api(server, 'POST', '/api/workspaces/', { name: 'Shutdown' }, bearer(access))).body;

    const graphqlSocket = new WebSocket(`${server.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve, reject) => graphqlSocket.once('open', resolve).once('error', reject));
    graphqlSocket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${access}` } }));
    await new Promise((resolve) => graphqlSocket.once('message', resolve)); // connection_ack
    const chat = await ChatSocketClient.connect(server.url, ws.slug, access);
    const ended = [closeOf(graphqlSocket), closeOf(chat.ws)];

    // Before, close() waited for every upgraded socket to leave on its own, so this hung.
    await server.close();
    expect(await Promise.all(ended)).toHaveLength(2);
  });
});
