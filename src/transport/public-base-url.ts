import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';

/**
 * Where this server is reached from outside, for the absolute URLs it writes into answers (pagination
 * links, embed codes). The Host header is the client's to choose: it is used only when it names an
 * allowed host, so `Host: evil.example` never ends up in a link another client follows.
 */
export interface PublicOrigin {
  /** PUBLIC_URL, without a trailing slash: when set, every link is built on it. */
  publicUrl: string | null;
  /** ALLOWED_HOSTS: exact host names, `.example.com` for it and its subdomains, or `*` for any. */
  allowedHosts: readonly string[];
}

declare module 'express-serve-static-core' {
  interface Request {
    /** `scheme://host[:port]` (and PUBLIC_URL's path) that absolute links of this answer start with. */
    publicBaseUrl?: string;
  }
}

/** A Host header that is only a host name or address and an optional port: nothing else gets through. */
const HOST_HEADER = /^(?<name>[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

function allowed(name: string, allowedHosts: readonly string[]): boolean {
  const host = name.toLowerCase();
  return allowedHosts.some(
    (entry) =>
      entry === '*' || entry === host || (entry.startsWith('.') && (host === entry.slice(1) || host.endsWith(entry))),
  );
}

/** The base URL of absolute links for `req`: PUBLIC_URL, else the request's own host if allowed, else localhost on the port it came in on. */
export function publicBaseUrl(req: IncomingMessage, origin: PublicOrigin, protocol = 'http'): string {
  if (origin.publicUrl) return origin.publicUrl;
  const host = req.headers.host ?? '';
  const name = HOST_HEADER.exec(host)?.groups?.name;
  if (name && allowed(name, origin.allowedHosts)) return `${protocol}://${host}`;
  return `${protocol}://localhost:${req.socket.localPort}`;
}

/**
 * Gives every request of `app` its `publicBaseUrl`, worked out when read: few answers hold an absolute link,
 * and working out `req.protocol` (trust proxy, X-Forwarded-Proto) for every request cost ~2 % of a small one.
 */
export function publicBaseUrls(app: { request: object }, origin: PublicOrigin): void {
  Object.defineProperty(app.request, 'publicBaseUrl', {
    configurable: true,
    get(this: Request) {
      return publicBaseUrl(this, origin, this.protocol);
    },
  });
}
