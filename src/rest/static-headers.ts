import type { RequestHandler } from 'express';

/**
 * A header-setting middleware (helmet) run once against a recording response, then replayed on each
 * request: its headers depend on its options only, and working them out again per request was a
 * measurable share of a small request's cost.
 */
export function staticHeaders(middleware: RequestHandler): RequestHandler {
  const ops: [name: string, value: string | number | readonly string[] | null][] = [];
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => ops.push([name, value]),
    removeHeader: (name: string) => ops.push([name, null]),
    getHeader: () => undefined,
  };
  let synchronous = false;
  middleware({ headers: {}, method: 'GET', url: '/' } as never, recorder as never, () => (synchronous = true));
  if (!synchronous) throw new Error('staticHeaders needs a middleware that calls next() at once');
  return (_req, res, next) => {
    for (const [name, value] of ops) {
      if (value === null) res.removeHeader(name);
      else res.setHeader(name, value);
    }
    next();
  };
}
