/**
 * Allowlist entries are hosts as a browser's `Origin` names them: `example.com`, or `localhost:3000`
 * with a port. `https://example.com/` is accepted and kept as `example.com`.
 */
const HOST = /^(?=.{1,253}(:|$))[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$/;

/** The normalised host of an entry, or null when it names none. */
export function allowlistHost(entry: string): string | null {
  let host = entry.trim().toLowerCase();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//.exec(host);
  if (scheme) host = host.slice(scheme[0].length);
  host = host.replace(/\/+$/, '');
  if (!HOST.test(host)) return null;
  const port = host.split(':')[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return null;
  return host;
}

/** Whether a page at `origin` may use a widget with this allowlist; an empty list allows any page. */
export function originAllowed(origin: string | null | undefined, allowlist: readonly string[]): boolean {
  if (allowlist.length === 0) return true;
  if (!origin) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const host = url.host.toLowerCase();
  return allowlist.some(
    (allowed) => allowed === host || (!allowed.includes(':') && allowed === url.hostname.toLowerCase()),
  );
}
