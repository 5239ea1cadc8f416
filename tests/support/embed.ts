/**
 * Setting up an embed widget over the public API: an admin, a workspace with a document (uploaded and
 * ingested), an embed config and its embed code. Every helper throws on an answer it did not expect.
 */
import type { publicEmbedConfig } from '../../src/projections/embeds/queries.js';
import { uniqueName } from './e2e.js';
import { api, bearer, registerAndLogin, type TestServer } from './server.js';

export interface EmbedOwner {
  access: string;
  userId: number;
}

/** The first registered user of a fresh server, who is therefore its admin. */
export async function registerAdmin(server: TestServer): Promise<EmbedOwner> {
  const { user, access } = await registerAndLogin(server, uniqueName('admin'));
  return { access, userId: user.id };
}

export async function createWorkspace(server: TestServer, owner: EmbedOwner, settings: Record<string, unknown> = {}) {
  const res = await api(
    server,
    'POST',
    '/api/workspaces/',
    { name: uniqueName('Support'), ...settings },
    bearer(owner.access),
  );
  if (res.status !== 201) throw new Error(`create workspace: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: number; slug: string; name: string };
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
  if (res.status !== 201) throw new Error(`create embed config: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as ReturnType<typeof publicEmbedConfig>;
}

/** POST /api/embeddings/configs/{uuid}/toggle/ (flips `enabled`). */
export async function toggleEmbed(server: TestServer, owner: EmbedOwner, uuid: string) {
  const res = await api(server, 'POST', `/api/embeddings/configs/${uuid}/toggle/`, undefined, bearer(owner.access));
  if (res.status !== 200) throw new Error(`toggle: ${res.status} ${JSON.stringify(res.body)}`);
}

/** The `<script>` tag of GET /api/embeddings/configs/{uuid}/embed_code/. */
export async function embedCode(server: TestServer, owner: EmbedOwner, uuid: string): Promise<string> {
  const res = await api(server, 'GET', `/api/embeddings/configs/${uuid}/embed_code/`, undefined, bearer(owner.access));
  if (res.status !== 200) throw new Error(`embed_code: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.embed_code as string;
}

/** GET /api/embeddings/chats/sessions/?embed_config={uuid}. */
export async function embedSessions(server: TestServer, owner: EmbedOwner, uuid: string): Promise<any[]> {
  const res = await api(
    server,
    'GET',
    `/api/embeddings/chats/sessions/?embed_config=${uuid}`,
    undefined,
    bearer(owner.access),
  );
  if (res.status !== 200) throw new Error(`sessions: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
