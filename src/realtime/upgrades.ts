import type { Server } from 'node:http';
import type { WebSocketServer } from 'ws';

/**
 * Hands each WebSocket upgrade to the server registered for its path (a key ending in `*` takes every
 * path it begins: `/ws/chat/*`); anything else is refused.
 */
export function routeUpgrades(server: Server, routes: Record<string, WebSocketServer>): void {
  server.on('upgrade', (req, socket, head) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    const wss =
      routes[pathname] ??
      routes[pathname.replace(/\/$/, '')] ??
      Object.entries(routes).find(([key]) => key.endsWith('*') && pathname.startsWith(key.slice(0, -1)))?.[1];
    if (!wss) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
}
