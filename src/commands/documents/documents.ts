/**
 * What people do with documents: upload, pin, watch, delete, and the same over many ids at once.
 * Checks run in one order everywhere: 401 (no actor), 403 (a `default` user never writes documents),
 * 400 (the request itself), 404 (the document or workspace does not exist or is hidden), then the
 * upload's content. Everything that can refuse runs before the first append, so a refusal writes nothing.
 */
import { canWriteDocuments, type DocumentCommand, documentDecider } from '../../domain/documents/document.js';
import { fold } from '../../domain/shared/decider.js';
import { DomainError, forbidden, invalid, notFound } from '../../domain/shared/errors.js';
import {
  canSeeWorkspace,
  type WorkspaceActor,
  workspaceDecider,
  type WorkspaceState,
} from '../../domain/workspaces/workspace.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import type { FileStore } from '../../infra/files/port.js';
import { type DocumentFormat, detectFormat, sanitizeFilename } from './formats.js';
import { type Actor, type CommandContext, requireActor } from '../shared/context.js';
import { handleCommand } from '../shared/handle.js';
import { nextId } from '../shared/sequence.js';
import { parseInput } from '../shared/validation.js';
import { workspaceStream } from '../workspaces/workspaces.js';
import { type BulkAction, bulkInput, parseMetadata, pinInput, uploadFields, watchInput } from './inputs.js';

export const documentStream = (documentId: number) => `document-${documentId}`;

/** The type a stored document is served and recorded as, from the format its content was judged to be. */
export const MIME_TYPES: Record<DocumentFormat, string> = {
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
  html: 'text/html',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

export const UNSUPPORTED_FILE =
  'Unsupported file type: upload a txt, md, csv, json, html, pdf or docx file whose content matches its name.';

export interface DocumentDeps {
  store: EventStore;
  files: FileStore;
}

export interface UploadRequest {
  /** The form fields: `workspace_id` and the optional `metadata` (a JSON object as text). */
  fields: Record<string, unknown>;
  /** The `file` part as the client named it, or null when the request had none. */
  file: { name: string; bytes: Buffer } | null;
}

const requireWriter = (ctx: CommandContext): Actor => {
  const actor = requireActor(ctx);
  if (!canWriteDocuments(actor)) throw forbidden();
  return actor;
};

/** The workspace from its own stream (never a read model), if the actor may see it; 404 otherwise. */
async function visibleWorkspace(store: EventStore, workspaceId: number, actor: WorkspaceActor) {
  const state: WorkspaceState = fold(workspaceDecider, (await store.readStream(workspaceStream(workspaceId))) as never);
  if (!canSeeWorkspace(actor, state)) throw notFound();
  return state;
}

/**
 * Stores the file as `<documentId>-<sanitised name>` and records the upload; ingestion starts from the
 * event. The file is written first, so whoever reads DocumentUploaded finds it.
 */
export async function uploadDocument(deps: DocumentDeps, request: UploadRequest, ctx: CommandContext) {
  const actor = requireWriter(ctx);
  const { workspace_id: workspaceId } = parseInput(uploadFields, request.fields);
  if (!request.file) throw invalid('Validation failed.', { file: ['No file was submitted.'] });
  const metadata = parseMetadata(request.fields.metadata);
  await visibleWorkspace(deps.store, workspaceId, actor);

  const { name, bytes } = request.file;
  const format = detectFormat(name, bytes);
  if (!format) throw invalid(UNSUPPORTED_FILE, { file: [UNSUPPORTED_FILE] });
  const filename = sanitizeFilename(name);

  const documentId = await nextId(deps.store, 'document', ctx);
  const storedName = `${documentId}-${filename}`;
  await deps.files.put(storedName, bytes);
  try {
    const result = await handleCommand(
      deps.store,
      documentStream(documentId),
      documentDecider,
      {
        type: 'UploadDocument',
        actor,
        now: ctx.now,
        documentId,
        workspaceId,
        filename,
        storedName,
        mimeType: MIME_TYPES[format],
        format,
        size: bytes.length,
        metadata,
      },
      ctx,
    );
    return { documentId, position: result.position };
  } catch (err) {
    await deps.files.remove(storedName);
    throw err;
  }
}

/** Runs a person's command on an existing document in a workspace the actor may see (404 otherwise). */
function onDocument(
  store: EventStore,
  documentId: number,
  ctx: CommandContext,
  command: (actor: Actor) => DocumentCommand,
) {
  const actor = requireWriter(ctx);
  return handleCommand(
    store,
    documentStream(documentId),
    documentDecider,
    async (state) => {
      if (state.status === 'none' || state.status === 'deleted') throw notFound();
      await visibleWorkspace(store, state.workspaceId, actor);
      return command(actor);
    },
    ctx,
  );
}

export async function pinDocument(store: EventStore, documentId: number, rawInput: unknown, ctx: CommandContext) {
  requireWriter(ctx);
  const { pin } = parseInput(pinInput, rawInput);
  const result = await onDocument(store, documentId, ctx, (actor) => ({
    type: 'PinDocument',
    actor,
    pin,
    now: ctx.now,
  }));
  return { documentId, position: result.position };
}

export async function watchDocument(store: EventStore, documentId: number, rawInput: unknown, ctx: CommandContext) {
  requireWriter(ctx);
  const { watch } = parseInput(watchInput, rawInput);
  const result = await onDocument(store, documentId, ctx, (actor) => ({
    type: 'WatchDocument',
    actor,
    watch,
    now: ctx.now,
  }));
  return { documentId, position: result.position };
}

/**
 * Records the deletion: chunks leave the read models with the event, and the file-cleanup reactor
 * removes the stored file after it (so a crash here cannot leave it behind).
 */
export async function deleteDocument(deps: DocumentDeps, documentId: number, ctx: CommandContext) {
  const result = await onDocument(deps.store, documentId, ctx, (actor) => ({
    type: 'DeleteDocument',
    actor,
    now: ctx.now,
  }));
  return { documentId, position: result.position };
}

export interface BulkResult {
  action: BulkAction;
  succeeded: number[];
  failed: Record<string, string>;
  position: number;
}

/**
 * One action over many documents, each on its own (one document's refusal does not stop the others):
 * which succeeded, and why each other one failed. Asking for what already holds (pinning a pinned
 * document) succeeds without an event.
 */
export async function bulkDocumentAction(
  deps: DocumentDeps,
  rawInput: unknown,
  ctx: CommandContext,
): Promise<BulkResult> {
  requireWriter(ctx);
  const { document_ids: ids, action } = parseInput(bulkInput, rawInput);
  const run = (id: number) => {
    switch (action) {
      case 'pin':
      case 'unpin':
        return pinDocument(deps.store, id, { pin: action === 'pin' }, ctx);
      case 'watch':
      case 'unwatch':
        return watchDocument(deps.store, id, { watch: action === 'watch' }, ctx);
      case 'delete':
        return deleteDocument(deps, id, ctx);
    }
  };
  const succeeded: number[] = [];
  const failed: Record<string, string> = {};
  let position = 0;
  for (const id of new Set(ids)) {
    try {
      position = Math.max(position, (await run(id)).position);
      succeeded.push(id);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      failed[String(id)] = err.message;
    }
  }
  return { action, succeeded, failed, position };
}
