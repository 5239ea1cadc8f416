import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { SubscriptionErrors } from '../infra/eventstore/port.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Where the router that holds the matched route is mounted (`/api/workspaces`), kept past express's restore of `baseUrl`. */
    routeBase?: string;
  }
}

/**
 * Prometheus metrics: process defaults, request durations by route and status, and the event store's
 * subscription errors where its adapter counts them.
 */
export function createMetrics(subscriptionErrors?: () => SubscriptionErrors) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (subscriptionErrors) {
    new Counter({
      name: 'chronicle_event_store_subscription_errors_total',
      help: 'Event store subscription errors: retried (transient) or failed (no retry cures it: access denied, a bad filter)',
      labelNames: ['outcome'],
      registers: [registry],
      collect() {
        const { retried, failed } = subscriptionErrors();
        this.reset();
        this.inc({ outcome: 'retried' }, retried);
        this.inc({ outcome: 'failed' }, failed);
      },
    });
  }
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  // One labelled child per (method, route, status), looked up by a string key: the label set is small and
  // fixed by the routes, and this skips building and merging label objects on every request.
  type Child = ReturnType<typeof duration.labels>;
  const children = new Map<string, Child>();
  const observe = (method: string, route: string, status: string, seconds: number) => {
    const key = `${method} ${status} ${route}`;
    let child = children.get(key);
    if (!child) children.set(key, (child = duration.labels(method, route, status)));
    child.observe(seconds);
  };

  const timer: RequestHandler = (req, res, next) => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      // The matched route pattern, never the raw path: ids in paths would explode the label set. An error
      // answer is sent after express has restored `baseUrl`, hence `routeBase`.
      const route = req.route?.path ? `${req.routeBase ?? req.baseUrl}${req.route.path}` : 'unmatched';
      observe(req.method, route, String(res.statusCode), Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
  /** Mount in front of a router (same path): remembers where it is mounted for the route label. */
  const routeBase: RequestHandler = (req, _res, next) => {
    req.routeBase = req.baseUrl;
    next();
  };
  return { registry, timer, routeBase };
}
