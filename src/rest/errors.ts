import type { ErrorRequestHandler, RequestHandler } from 'express';
import { DomainError } from '../domain/shared/errors.js';
import { AppendTooLargeError } from '../infra/eventstore/port.js';
import { NotYetReadableError } from '../projections/shared/progress.js';
import { APPEND_TOO_LARGE, INTERNAL_ERROR } from '../transport/errors.js';

/** The body and status a DomainError is shown as, in the DRF shapes the spec uses. */
export function domainErrorResponse(err: DomainError): { status: number; body: Record<string, unknown> } {
  switch (err.kind) {
    case 'validation':
      return { status: 400, body: { error: err.message, field_errors: err.fieldErrors ?? {} } };
    case 'unauthorized':
      return { status: 401, body: { detail: err.message } };
    case 'forbidden':
      return { status: 403, body: { detail: err.message } };
    case 'not_found':
      return { status: 404, body: { detail: err.message } };
    case 'conflict':
      return { status: 409, body: { error: err.message } };
    case 'rate_limited':
      return { status: 429, body: { error: err.message } };
  }
}

/** Last middleware: every failure leaves as JSON, and nothing internal (no stack, no message) reaches the client. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (err instanceof DomainError) {
    const { status, body } = domainErrorResponse(err);
    res.status(status).json(body);
    return;
  }
  // A path segment that is not valid percent-encoding (`/api/users/%ZZ/`) names no resource, as Django answers it.
  if (err instanceof URIError && (err as URIError & { status?: number }).status === 400) {
    res.status(404).json({ detail: 'Not found.' });
    return;
  }
  if (err instanceof NotYetReadableError) {
    res.status(503).json({ error: err.message });
    return;
  }
  if (err?.type === 'entity.parse.failed') {
    res.status(400).json({ error: 'Malformed JSON in request body.', field_errors: {} });
    return;
  }
  if (err instanceof AppendTooLargeError) {
    res.status(413).json({ error: APPEND_TOO_LARGE });
    return;
  }
  if (err?.type === 'entity.too.large') {
    res.status(413).json({ error: 'Request body is too large.' });
    return;
  }
  if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500 && err.expose) {
    res.status(err.status).json({ error: String(err.message) });
    return;
  }
  req.log?.error({ err }, 'unhandled error');
  res.status(500).json({ error: INTERNAL_ERROR });
};

export const notFoundHandler: RequestHandler = (_req, res) => {
  res.status(404).json({ detail: 'Not found.' });
};
