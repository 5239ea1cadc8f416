/**
 * Every route an express 5 app mounts, found by walking its router stack (router 2 keeps each
 * layer's `rawPath`), so tests can compare what is served with what is documented.
 */
export interface MountedRoute {
  method: string;
  path: string;
}

interface Layer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

const asList = (p: unknown): string[] =>
  (Array.isArray(p) ? p.flat(Infinity) : [p]).map((x) => (typeof x === 'string' ? x : String(x)));

/**
 * A `use()` at `/` (or without a path) adds nothing to the prefix. A route `/` in a router mounted at
 * `/api/workspaces` is `/api/workspaces/`, as express's `req.baseUrl + req.route.path` names it.
 */
const mountAt = (prefix: string, p: string) => (p === '/' ? prefix : `${prefix}${p}`);

function walk(stack: Layer[], prefix: string, out: MountedRoute[]): void {
  for (const layer of stack) {
    if (layer.route) {
      for (const p of asList(layer.route.path)) {
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on) out.push({ method: method === '_all' ? 'all' : method, path: `${prefix}${p}` });
        }
      }
    } else if (Array.isArray(layer.handle?.stack)) {
      for (const p of asList(layer.rawPath ?? '/')) walk(layer.handle.stack, mountAt(prefix, p), out);
    }
  }
}

/** `app` is an express application (typed loosely: express's typings do not describe router 2's layers). */
export function mountedRoutes(app: object): MountedRoute[] {
  const out: MountedRoute[] = [];
  walk((app as { router: { stack: Layer[] } }).router.stack, '', out);
  return out;
}

/** `/api/users/:id/` → `/api/users/{id}/`, the OpenAPI path template. */
export const openApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');
