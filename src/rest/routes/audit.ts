import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Request, Router } from 'express';
import {
  EXPORT_FORMATS,
  type ExportFilter,
  type ExportFormat,
  exportLines,
  parseBound,
} from '../../audit/event-export.js';
import { invalid } from '../../domain/shared/errors.js';
import { requireRole } from '../auth.js';
import type { RestDeps } from '../deps.js';

const CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

/** The auditor's endpoints under /api/system: the signed head of the hash chain, its public key, and exports. */
export function auditRoutes(deps: RestDeps): Router {
  const router = Router();

  router.get('/audit/head/', requireRole('admin'), async (_req, res) => {
    res.json(await deps.audit.signedHead(deps.store));
  });

  router.get('/audit/public-key/', requireRole('admin'), (_req, res) => {
    res.type('application/x-pem-file').send(deps.audit.publicKeyPem());
  });

  // Streamed: each page of events is read only once the client has taken the previous lines.
  router.get('/events/export/', requireRole('admin'), async (req, res) => {
    const { format, filter } = exportQuery(req);
    res
      .status(200)
      .type(CONTENT_TYPES[format])
      .setHeader('Content-Disposition', `attachment; filename="events.${format}"`);
    try {
      await pipeline(Readable.from(exportLines(deps.store, filter, format)), res);
    } catch (err) {
      if (!res.destroyed) throw err; // a client that went away ends the export; nothing to answer
    }
  });

  return router;
}

function exportQuery(req: Request): { format: ExportFormat; filter: ExportFilter } {
  const errors: Record<string, string[]> = {};
  const one = (name: string): string | undefined => {
    const raw = req.query[name];
    if (raw === undefined || raw === '') return undefined;
    if (typeof raw !== 'string') {
      errors[name] = ['Give this parameter once.'];
      return undefined;
    }
    return raw;
  };
  const format = (one('format') ?? 'ndjson') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) errors.format = ['Choose ndjson or csv.'];
  const filter: ExportFilter = {};
  for (const key of ['from', 'to'] as const) {
    const raw = one(key);
    if (raw === undefined) continue;
    const bound = parseBound(raw);
    if (bound) filter[key] = bound;
    else errors[key] = ['Enter a position or an ISO 8601 date/time.'];
  }
  const types = ([] as unknown[]).concat(req.query.type ?? []);
  if (types.some((t) => typeof t !== 'string')) errors.type = ['Give event types as strings.'];
  else if (types.length > 0) filter.types = (types as string[]).flatMap((t) => t.split(',')).filter((t) => t !== '');
  const prefix = one('stream_prefix');
  if (prefix !== undefined) filter.streamPrefix = prefix;
  if (Object.keys(errors).length > 0) throw invalid('Validation failed.', errors);
  return { format, filter };
}
