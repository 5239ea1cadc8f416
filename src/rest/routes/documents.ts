import { createHash } from 'node:crypto';
import { type ErrorRequestHandler, type Request, type RequestHandler, Router } from 'express';
import multer from 'multer';
import {
  bulkDocumentAction,
  deleteDocument,
  pinDocument,
  uploadDocument,
  watchDocument,
} from '../../commands/documents/documents.js';
import { withIdempotency } from '../../commands/shared/idempotency.js';
import { invalid, notFound } from '../../domain/shared/errors.js';
import { findDocument, listDocuments, publicDocument } from '../../projections/documents/queries.js';
import { PAST_DOCUMENTS } from '../../projections/time-travel/reads.js';
import { readsOf } from '../as-of.js';
import { requireAuth } from '../auth.js';
import { commandContext } from '../context.js';
import { type RestDeps, settled } from '../deps.js';
import { lookupFilter } from '../filters.js';
import { findWindow, pageOf, sendPage } from '../pagination.js';
import { idParam } from '../params.js';

/** List filters: the spec's `workspace`, `pinned`, `watched`, `status`, and Django lookups on the rest. */
const DOCUMENT_FILTERS = {
  id: 'number',
  workspace: 'number',
  pinned: 'boolean',
  watched: 'boolean',
  status: 'string',
  filename: 'string',
  mime_type: 'string',
  size: 'number',
  chunk_count: 'number',
  created_at: 'date',
} as const;
const FILTER_FIELDS = {
  workspace: 'workspaceId',
  mime_type: 'mimeType',
  chunk_count: 'chunkCount',
  created_at: 'createdAt',
};

const MAX_FORM_FIELD_BYTES = 64 * 1024;

/**
 * Multipart parsing for uploads, in memory (the file goes to the file store whole, after the checks):
 * one `file` part of at most `maxBytes` (larger is a 413), a few small text fields. File names are
 * read as UTF-8, as browsers send them.
 */
function multipartUpload(maxBytes: number): RequestHandler[] {
  const parse = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: 1, fields: 20, fieldSize: MAX_FORM_FIELD_BYTES, parts: 21 },
    defParamCharset: 'utf8',
  }).single('file');
  const tooLarge = `File too large: uploads are limited to ${Math.floor(maxBytes / (1024 * 1024))} MB.`;
  const refused: ErrorRequestHandler = (err, _req, res, next) => {
    if (err instanceof multer.MulterError) {
      if (err.code === 'LIMIT_FILE_SIZE') {
        res.status(413).json({ error: tooLarge });
        return;
      }
      const field =
        err.code === 'LIMIT_UNEXPECTED_FILE' || err.code === 'LIMIT_FILE_COUNT'
          ? 'file'
          : (err.field ?? 'non_field_errors');
      const message = field === 'file' ? 'Send exactly one file, in the field "file".' : err.message;
      next(invalid('Validation failed.', { [field]: [message] }));
      return;
    }
    // busboy's complaints about the body itself (truncated form, bad boundary) are the client's.
    if (
      err instanceof Error &&
      !('status' in err) &&
      /multipart|boundary|unexpected end of form|malformed/i.test(err.message)
    ) {
      next(invalid('Malformed multipart body.', {}));
      return;
    }
    next(err);
  };
  return [parse as RequestHandler, refused as unknown as RequestHandler];
}

const fileHash = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The spec's Documents App: upload, list, pin, watch, delete and bulk actions. */
export function documentRoutes(deps: RestDeps): Router {
  const router = Router();
  router.use(requireAuth);

  async function documentById(req: Request, id: number, position: number) {
    await settled(deps, position);
    const doc = await findDocument(deps.db, req.actor!, id);
    if (!doc) throw notFound();
    return publicDocument(doc);
  }

  router.post('/upload/', deps.uploads.rateLimit, ...multipartUpload(deps.uploads.maxBytes), async (req, res) => {
    if (!req.is('multipart/form-data'))
      throw invalid('Validation failed.', { file: ['Upload the file as multipart/form-data, in the field "file".'] });
    const ctx = commandContext(req);
    const fields = req.body ?? {};
    const file = req.file ? { name: req.file.originalname, bytes: req.file.buffer } : null;
    const fingerprint = `upload-document|${JSON.stringify(fields)}|${file?.name}|${file ? fileHash(file.bytes) : ''}`;
    const { documentId, position } = await withIdempotency(deps.store, ctx, fingerprint, () =>
      uploadDocument({ store: deps.store, files: deps.files }, { fields, file }, ctx),
    );
    res.status(201).json(await documentById(req, documentId, position));
  });

  router.get('/', async (req, res) => {
    const page = pageOf(req);
    const filter = lookupFilter(req, DOCUMENT_FILTERS, FILTER_FIELDS);
    const db = await readsOf(req, deps, PAST_DOCUMENTS);
    const { results, count } = await listDocuments(db, req.actor!, filter, findWindow(page));
    sendPage(req, res, page, results.map(publicDocument), count);
  });

  router.get('/:id/', async (req, res) => {
    const id = idParam(req);
    const doc = await findDocument(await readsOf(req, deps, PAST_DOCUMENTS), req.actor!, id);
    if (!doc) throw notFound();
    res.json(publicDocument(doc));
  });

  router.post('/bulk_action/', async (req, res) => {
    const ctx = commandContext(req);
    const { position, ...result } = await withIdempotency(
      deps.store,
      ctx,
      `bulk-documents|${JSON.stringify(req.body)}`,
      () => bulkDocumentAction({ store: deps.store, files: deps.files }, req.body, ctx),
    );
    await settled(deps, position);
    res.json(result);
  });

  router.post('/:id/pin/', async (req, res) => {
    const { documentId, position } = await pinDocument(deps.store, idParam(req), req.body, commandContext(req));
    res.json(await documentById(req, documentId, position));
  });

  router.post('/:id/watch/', async (req, res) => {
    const { documentId, position } = await watchDocument(deps.store, idParam(req), req.body, commandContext(req));
    res.json(await documentById(req, documentId, position));
  });

  router.delete('/:id/', async (req, res) => {
    const { position } = await deleteDocument(
      { store: deps.store, files: deps.files },
      idParam(req),
      commandContext(req),
    );
    await settled(deps, position);
    res.status(204).end();
  });

  return router;
}
