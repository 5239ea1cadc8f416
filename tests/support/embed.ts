/**
 * Setting up an embed widget over the public API: an admin, a workspace with a document (uploaded and
 * ingested), an embed config and its embed code.
 *
 * The Embeddings App routes (branch `access`) and the document upload route (branch `docs`) are
 * merged separately from the public embed endpoint. Until both are in, a route that answers 404
 * here is stood in for by the very command it calls (same validation, same events); once merged,
 * the REST route is used. MERGE: drop the `viaCommands` fallbacks when both routes are present.
 */
import path from 'node:path';
import { createEmbedConfig } from '../../src/commands/embeds/embed-configs.js';
import { uploadDocument } from '../../src/commands/documents/documents.js';
import { LocalFileStore } from '../../src/infra/files/local.js';
import { findDocument } from '../../src/projections/documents/queries.js';
import { findEmbedConfig, publicEmbedConfig } from '../../src/projections/embeds/queries.js';
import { commandCtx } from './context.js';
import { uniqueName } from './e2e.js';
import { api, bearer, registerAndLogin, type TestServer } from './server.js';

export interface EmbedOwner { access: string; userId: number }

/** A route not there yet answers Express's plain 404 for an unknown path. */
const routeMissing = (res: { status: number; body: any }) => res.status === 404 && res.body?.detail === 'Not found.';

const adminActor = (owner: EmbedOwner) => ({ type: 'user' as const, userId: owner.userId, role: 'admin' as const });

/** The first registered user of a fresh server, who is therefore its admin. */
export async function registerAdmin(server: TestServer): Promise<EmbedOwner> {
  const { user, access } = await registerAndLogin(server, uniqueName('admin'));
  return { access, userId: user.id };
}

export async function createWorkspace(server: TestServer, owner: EmbedOwner, settings: Record<string, unknown> = {}) {
  const res = await api(server, 'POST', '/api/workspaces/', { name: uniqueName('Support'), ...settings }, bearer(owner.access));
  if (res.status !== 201) throw new Error(`create workspace: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: number; slug: string; name: string };
}

/** Uploads a text file into the workspace and waits until its ingestion is `ready`. */
export async function uploadReadyDocument(server: TestServer, owner: EmbedOwner, workspaceId: number, filename: string, text: string) {
  const form = new FormData();
  form.append('file', new Blob([text], { type: 'text/plain' }), filename);
  form.append('workspace_id', String(workspaceId));
  const res = await fetch(`${server.url}/api/documents/upload/`, { method: 'POST', headers: bearer(owner.access), body: form });
  const body: any = await res.json().catch(() => null);
  let documentId: number;
  let viaCommands = false;
  if (routeMissing({ status: res.status, body })) {
    viaCommands = true;
    const files = new LocalFileStore(path.join(server.dataDir, 'files'));
    ({ documentId } = await uploadDocument(
      { store: server.deps.store, files },
      { fields: { workspace_id: workspaceId }, file: { name: filename, bytes: Buffer.from(text) } },
      commandCtx(adminActor(owner)),
    ));
  } else {
    if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(body)}`);
    documentId = body.id;
  }
  const deadline = Date.now() + 20_000;
  for (;;) {
    const status = viaCommands
      ? (await findDocument(server.deps.db, adminActor(owner), documentId))?.status
      : (await api(server, 'GET', `/api/documents/${documentId}/`, undefined, bearer(owner.access))).body?.status;
    if (status === 'ready') return documentId;
    if (status === 'failed') throw new Error(`document ${documentId} failed to ingest`);
    if (Date.now() > deadline) throw new Error(`document ${documentId} not ready in time (status ${status})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface EmbedConfigBody {
  workspace: number | string;
  enabled?: boolean;
  chat_mode?: 'chat' | 'query';
  allowlist_domains?: string;
  max_chats_per_day?: number | null;
  message_limit?: number | null;
}

/** POST /api/embeddings/configs/ as the spec shows it; answers the config as the API shows it. */
export async function createEmbed(server: TestServer, owner: EmbedOwner, body: EmbedConfigBody) {
  const res = await api(server, 'POST', '/api/embeddings/configs/', body, bearer(owner.access));
  if (!routeMissing(res)) {
    if (res.status !== 201) throw new Error(`create embed config: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as ReturnType<typeof publicEmbedConfig>;
  }
  const { uuid, position } = await createEmbedConfig(server.deps.store, body, commandCtx(adminActor(owner)));
  await server.deps.progress.waitFor(position);
  return publicEmbedConfig((await findEmbedConfig(server.deps.db, uuid))!);
}

/** POST /api/embeddings/configs/{uuid}/toggle/ (flips `enabled`). */
export async function toggleEmbed(server: TestServer, owner: EmbedOwner, uuid: string) {
  const res = await api(server, 'POST', `/api/embeddings/configs/${uuid}/toggle/`, undefined, bearer(owner.access));
  if (!routeMissing(res)) {
    if (res.status !== 200) throw new Error(`toggle: ${res.status} ${JSON.stringify(res.body)}`);
    return;
  }
  const { toggleEmbedConfig } = await import('../../src/commands/embeds/embed-configs.js');
  const { position } = await toggleEmbedConfig(server.deps.store, uuid, commandCtx(adminActor(owner)));
  await server.deps.progress.waitFor(position);
}

/** The `<script>` tag of GET /api/embeddings/configs/{uuid}/embed_code/. */
export async function embedCode(server: TestServer, owner: EmbedOwner, uuid: string): Promise<string> {
  const res = await api(server, 'GET', `/api/embeddings/configs/${uuid}/embed_code/`, undefined, bearer(owner.access));
  if (!routeMissing(res)) {
    if (res.status !== 200) throw new Error(`embed_code: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.embed_code as string;
  }
  // The tag DESIGN.md describes (as branch `access` builds it).
  return `<script src="${server.url}/embed/chronicle-chat-widget.js" data-embed-id="${uuid}" data-base-api-url="${server.url}/api/embed"></script>`;
}

/** GET /api/embeddings/chats/sessions/?embed_config={uuid}, or null while that route is not merged. */
export async function embedSessions(server: TestServer, owner: EmbedOwner, uuid: string): Promise<any[] | null> {
  const res = await api(server, 'GET', `/api/embeddings/chats/sessions/?embed_config=${uuid}`, undefined, bearer(owner.access));
  if (routeMissing(res)) return null;
  if (res.status !== 200) throw new Error(`sessions: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
