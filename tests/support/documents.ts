/**
 * Documents over the public REST API, as a client puts them into a workspace: a multipart upload,
 * polling until ingestion settles, pinning. Every helper throws on an answer it did not expect.
 */
import { api, bearer } from './server.js';

export interface UploadOptions {
  type?: string;
  metadata?: string;
}

/** POST /api/documents/upload/ as real multipart/form-data; answers the 201 body. */
export async function uploadDocument(
  server: { url: string },
  token: string,
  workspaceId: number,
  filename: string,
  bytes: Buffer | string,
  options: UploadOptions = {},
) {
  const form = new FormData();
  form.set('workspace_id', String(workspaceId));
  if (options.metadata !== undefined) form.set('metadata', options.metadata);
  form.append('file', new Blob([bytes], options.type ? { type: options.type } : {}), filename);
  const res = await fetch(`${server.url}/api/documents/upload/`, {
    method: 'POST',
    headers: bearer(token),
    body: form,
  });
  const body: any = await res.json().catch(() => null);
  if (res.status !== 201) throw new Error(`upload ${filename}: ${res.status} ${JSON.stringify(body)}`);
  return body as { id: number; status: string; filename: string; [field: string]: unknown };
}

/**
 * Polls GET /api/documents/{id}/ until its status is no longer `processing`; answers the document.
 * Another answer than 200 is polled through too (a restarted server may still be catching up) and
 * shown when the deadline passes.
 */
export async function settledDocument(server: { url: string }, token: string, id: number, deadlineMs = 60_000) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const res = await api(server, 'GET', `/api/documents/${id}/`, undefined, bearer(token));
    if (res.status === 200 && res.body.status !== 'processing') return res.body;
    if (Date.now() > deadline) throw new Error(`document ${id} not settled: ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Uploads a document and waits until its ingestion is `ready` (a `failed` one throws); answers its id. */
export async function uploadReadyDocument(
  server: { url: string },
  token: string,
  workspaceId: number,
  filename: string,
  bytes: Buffer | string,
) {
  const { id } = await uploadDocument(server, token, workspaceId, filename, bytes);
  const done = await settledDocument(server, token, id);
  if (done.status !== 'ready') throw new Error(`document ${id} (${filename}) ended ${done.status}: ${done.error}`);
  return id;
}

/** POST /api/documents/{id}/pin/: a pinned document goes into every chat's context whole. */
export async function pinDocument(server: { url: string }, token: string, id: number, pin = true) {
  const res = await api(server, 'POST', `/api/documents/${id}/pin/`, { pin }, bearer(token));
  if (res.status !== 200 || res.body.pinned !== pin)
    throw new Error(`pin ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
