import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

/** The caller's X-Request-Id when sane, else a fresh one; echoed on the response. */
function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && given.length <= 128 ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/** Headers that carry credentials (bearer JWTs, API keys, cookies): never written to a log. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key']);

function withoutCredentials(req: { headers?: Record<string, unknown> }) {
  if (!req?.headers) return req;
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k, CREDENTIAL_HEADERS.has(k.toLowerCase()) ? '[redacted]' : v]),
  );
  return { ...req, headers };
}

/**
 * Request ids on every request, and pino-http's request logging unless the logger is silent: then it
 * would log nothing, yet cost a child logger and a response listener per request.
 */
export function requestLogging(logger: Logger): RequestHandler {
  if (logger.level === 'silent') {
    return (req, res, next) => {
      req.id = requestId(req, res);
      req.log = logger;
      next();
    };
  }
  return pinoHttp({
    logger,
    genReqId: requestId,
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    serializers: { req: withoutCredentials },
  });
}
