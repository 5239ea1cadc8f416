import type { Request, RequestHandler } from 'express';

/** The one REST route that takes something else: document upload reads multipart/form-data. */
const MULTIPART_ROUTE = /^\/api(?:\/v1)?\/documents\/upload\/?$/;

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** What JSON clients send as Content-Type, recognised as is: anything else is parsed (req.is) before it passes. */
const PLAIN_JSON = new Set(['application/json', 'application/json; charset=utf-8']);

/** A body with at least one byte is coming (a chunked one, or a Content-Length above zero). */
const hasBody = (req: Request) =>
  req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';

/**
 * REST endpoints read JSON only. A body in any other type (text/plain, a form, XML, or none declared) was
 * otherwise skipped by the JSON parser and the write went through with defaults: it is refused with
 * 415, as Django REST framework refuses it, before anything runs. A write without a body stays as it was.
 */
export const jsonBodiesOnly: RequestHandler = (req, res, next) => {
  if (
    PLAIN_JSON.has(req.headers['content-type'] ?? '') ||
    !WRITES.has(req.method) ||
    !req.path.startsWith('/api/') ||
    MULTIPART_ROUTE.test(req.path) ||
    !hasBody(req) ||
    req.is('application/json')
  )
    return next();
  const declared = (req.headers['content-type'] ?? '').split(';')[0].trim().slice(0, 100);
  res
    .status(415)
    .json({ error: `Unsupported media type "${declared}" in request. Send JSON with Content-Type: application/json.` });
};
