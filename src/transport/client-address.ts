import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/**
 * Which proxies are believed about the client's address (X-Forwarded-For): those on this host only. One
 * setting for Express (`trust proxy`) and for the WebSocket upgrades Express never sees, so a client behind
 * a local reverse proxy is one address everywhere (its own budget, its own event metadata), not the proxy's.
 */
export const TRUST_PROXY = 'loopback';

const trusted = proxyaddr.compile(TRUST_PROXY);

/** The client's address as Express's `req.ip` works it out, for a raw HTTP request (a WebSocket upgrade). */
export function clientAddress(req: IncomingMessage): string | null {
  if (!req.socket.remoteAddress) return null;
  return proxyaddr(req, trusted);
}
