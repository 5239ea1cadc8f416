import type { RequestHandler } from 'express';

/**
 * Middlewares run one after another as one express layer. Each layer the app passes costs a router step
 * (matching, parameter processing, a `params` object and closures): for a small request, the global
 * middlewares' steps were a share of its CPU and of its garbage. As in express, a handler ends the run by
 * answering, passes on with `next()`, and fails it with `next(err)`, a throw or a rejected promise.
 */
export function inSeries(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let i = 0;
    const step = (err?: unknown): void => {
      if (err) return next(err);
      const handler = handlers[i++];
      if (!handler) return next();
      try {
        const result = handler(req, res, step) as unknown;
        if (result instanceof Promise) result.catch(next);
      } catch (thrown) {
        next(thrown);
      }
    };
    step();
  };
}
