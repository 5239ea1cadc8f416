/**
 * The Embeddings App's configuration side over real HTTP and GraphQL: embed configs (create, list, get,
 * update, toggle, delete), the embed code, and the sessions list. Refused requests append nothing.
 */
import { randomUUID } from 'node:crypto';
import { expectAppendsNothing, recordingApi } from '../support/e2e.js';
import { bearer, registerAndLogin, type Session, startTestServer, type TestServer } from '../support/server.js';

const FORBIDDEN = { detail: 'You do not have permission to perform this action.' };
const NOT_FOUND = { detail: 'Not found.' };
const CONFIG_FIELDS = [
  'allowlist_domains',
  'chat_mode',
  'created_at',
  'enabled',
  'max_chats_per_day',
  'message_limit',
  'uuid',
  'workspace',
];

let server: TestServer;
let http: ReturnType<typeof recordingApi>;
let admin: Session;
let manager: Session;
let member: Session;
let workspace: any;

const as = (s: Session) => bearer(s.access);

beforeAll(async () => {
  server = await startTestServer();
  http = recordingApi(server);
  admin = await registerAndLogin(http, { prefix: 'admin' });
  manager = await registerAndLogin(http, { prefix: 'manager' });
  member = await registerAndLogin(http, { prefix: 'member' });
  await http.call('PATCH', `/api/users/${manager.user.id}/`, { role: 'manager' }, as(admin));
  workspace = (await http.call('POST', '/api/workspaces/', { name: 'Support Docs' }, as(admin))).body;
});
afterAll(async () => {
  expect(http.leaks()).toEqual([]);
  await server?.close();
});

const create = (body: Record<string, unknown>, who: Session = manager) =>
  http.call('POST', '/api/embeddings/configs/', body, as(who));

describe('embed configs', () => {
  it('a manager creates a config as the spec shows it; a slug names the workspace too', async () => {
    const res = await create({
      workspace: workspace.id,
      enabled: true,
      chat_mode: 'query',
      allowlist_domains: 'example.com,app.example.com',
      max_chats_per_day: 100,
      message_limit: 20,
    });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(CONFIG_FIELDS);
    expect(res.body).toMatchObject({
      uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      workspace: workspace.id,
      enabled: true,
      chat_mode: 'query',
      allowlist_domains: 'example.com,app.example.com',
      max_chats_per_day: 100,
      message_limit: 20,
      created_at: expect.stringMatching(/Z$/),
    });
    const bySlug = await create(
      { workspace: workspace.slug, allowlist_domains: ['https://Shop.Example.org/', 'localhost:3000'] },
      admin,
    );
    expect(bySlug.body).toMatchObject({
      workspace: workspace.id,
      enabled: true,
      chat_mode: 'query',
      allowlist_domains: 'shop.example.org,localhost:3000',
      max_chats_per_day: null,
      message_limit: null,
    });

    const list = await http.call('GET', '/api/embeddings/configs/', undefined, as(admin));
    expect(list.body.map((c: any) => c.uuid)).toEqual(expect.arrayContaining([res.body.uuid, bySlug.body.uuid]));
    expect((await http.call('GET', `/api/embeddings/configs/${res.body.uuid}/`, undefined, as(manager))).body).toEqual(
      res.body,
    );
  });

  it('refuses bad input, unknown workspaces and anyone but admins and managers, appending nothing', async () => {
    await expectAppendsNothing(server, async () => {
      const bad = await create({
        workspace: workspace.id,
        chat_mode: 'gossip',
        allowlist_domains: 'not a domain!',
        max_chats_per_day: -1,
        message_limit: 1.5,
        colour: 'red',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBeDefined();
      const unknownFields = await create({
        workspace: workspace.id,
        chat_mode: 'gossip',
        allowlist_domains: 'not a domain!',
        max_chats_per_day: -1,
        message_limit: 1.5,
      });
      expect(Object.keys(unknownFields.body.field_errors).sort()).toEqual([
        'allowlist_domains',
        'chat_mode',
        'max_chats_per_day',
        'message_limit',
      ]);
      expect((await create({ workspace: 987654 })).body.field_errors).toHaveProperty('workspace');
      expect((await create({ workspace: 'no-such-slug' })).body.field_errors).toHaveProperty('workspace');
      expect((await create({})).body.field_errors).toHaveProperty('workspace');
      expect(await create({ workspace: workspace.id }, member)).toMatchObject({ status: 403, body: FORBIDDEN });
      expect((await http.call('POST', '/api/embeddings/configs/', { workspace: workspace.id })).status).toBe(401);
      expect((await http.call('GET', '/api/embeddings/configs/', undefined, as(member))).status).toBe(403);
      expect(await http.call('GET', `/api/embeddings/configs/${randomUUID()}/`, undefined, as(admin))).toMatchObject({
        status: 404,
        body: NOT_FOUND,
      });
      expect((await http.call('GET', '/api/embeddings/configs/not-a-uuid/', undefined, as(admin))).status).toBe(404);
      expect(
        (await http.call('POST', `/api/embeddings/configs/${randomUUID()}/toggle/`, undefined, as(admin))).status,
      ).toBe(404);
    });
  });

  it('updates, toggles and deletes', async () => {
    const { uuid } = (await create({ workspace: workspace.id })).body;
    const patched = await http.call(
      'PATCH',
      `/api/embeddings/configs/${uuid}/`,
      { chat_mode: 'chat', message_limit: 5, allowlist_domains: '' },
      as(admin),
    );
    expect(patched.body).toMatchObject({
      uuid,
      chat_mode: 'chat',
      message_limit: 5,
      allowlist_domains: '',
      enabled: true,
    });
    await expectAppendsNothing(server, async () => {
      expect(
        (await http.call('PATCH', `/api/embeddings/configs/${uuid}/`, { chat_mode: 'chat' }, as(admin))).status,
      ).toBe(200);
      expect((await http.call('PATCH', `/api/embeddings/configs/${uuid}/`, { enabled: 'yes' }, as(admin))).status).toBe(
        400,
      );
      expect(
        (await http.call('PATCH', `/api/embeddings/configs/${uuid}/`, { enabled: false }, as(member))).status,
      ).toBe(403);
    });
    expect(
      (await http.call('POST', `/api/embeddings/configs/${uuid}/toggle/`, undefined, as(manager))).body,
    ).toMatchObject({ uuid, enabled: false });
    expect(
      (await http.call('POST', `/api/embeddings/configs/${uuid}/toggle/`, undefined, as(manager))).body,
    ).toMatchObject({ uuid, enabled: true });
    expect((await http.call('DELETE', `/api/embeddings/configs/${uuid}/`, undefined, as(admin))).status).toBe(204);
    expect((await http.call('GET', `/api/embeddings/configs/${uuid}/`, undefined, as(admin))).status).toBe(404);
    const logs = await http.call('GET', '/api/system/event-logs/?event=embed_config_deleted', undefined, as(admin));
    expect(logs.body.some((e: any) => e.metadata.uuid === uuid)).toBe(true);
  });

  it('embed_code is a script tag for the widget, with the config and the API base from the request', async () => {
    const { uuid } = (await create({ workspace: workspace.id })).body;
    const res = await http.call('GET', `/api/embeddings/configs/${uuid}/embed_code/`, undefined, as(manager));
    expect(res.body).toEqual({
      embed_code: `<script src="${server.url}/embed/chronicle-chat-widget.js" data-embed-id="${uuid}" data-base-api-url="${server.url}/api/embed"></script>`,
      uuid,
      workspace: 'Support Docs',
    });
    const viaGraphql = await http.call(
      'POST',
      '/graphql',
      { query: `{ embedCode(uuid: "${uuid}") { embedCode workspace } }` },
      as(admin),
    );
    expect(viaGraphql.body.data.embedCode).toEqual({ embedCode: res.body.embed_code, workspace: 'Support Docs' });
  });

  it('lists sessions of a config with their chat counts and last activity', async () => {
    const { uuid } = (await create({ workspace: workspace.id })).body;
    // As the public embed chat endpoint records them.
    let position = 0;
    for (const [sessionId, at] of [
      ['visitor-1', '2026-01-01T10:00:00.000Z'],
      ['visitor-2', '2026-01-01T11:00:00.000Z'],
      ['visitor-1', '2026-01-01T12:00:00.000Z'],
    ]) {
      const stream = `embedchat-${randomUUID()}`;
      ({ position } = await server.deps.store.appendToStream(
        stream,
        [
          {
            id: randomUUID(),
            type: 'EmbedChatCompleted',
            data: { embedUuid: uuid, sessionId, prompt: 'q', response: 'a', at },
            metadata: {
              actorId: null,
              actorType: 'embed',
              correlationId: 'test',
              causationId: null,
              ip: null,
              userAgent: null,
              schemaVersion: 1,
            },
          },
        ],
        'no_stream',
      ));
    }
    await server.deps.progress.waitFor(position);
    const res = await http.call('GET', `/api/embeddings/chats/sessions/?embed_config=${uuid}`, undefined, as(manager));
    expect(res.body).toEqual([
      { session_id: 'visitor-1', embed_config: uuid, chat_count: 2, last_activity: '2026-01-01T12:00:00.000Z' },
      { session_id: 'visitor-2', embed_config: uuid, chat_count: 1, last_activity: '2026-01-01T11:00:00.000Z' },
    ]);
    expect(
      (await http.call('GET', `/api/embeddings/chats/sessions/?embed_config=${uuid}&limit=1`, undefined, as(manager)))
        .body,
    ).toMatchObject({ count: 2, results: [{ session_id: 'visitor-1' }] });
    expect((await http.call('GET', '/api/embeddings/chats/sessions/', undefined, as(manager))).status).toBe(400);
    expect(
      (await http.call('GET', `/api/embeddings/chats/sessions/?embed_config=${randomUUID()}`, undefined, as(manager)))
        .status,
    ).toBe(404);
    expect(
      (await http.call('GET', `/api/embeddings/chats/sessions/?embed_config=${uuid}`, undefined, as(member))).status,
    ).toBe(403);
    const viaGraphql = await http.call(
      'POST',
      '/graphql',
      { query: `{ embedSessions(embedConfig: "${uuid}") { sessionId chatCount } }` },
      as(admin),
    );
    expect(viaGraphql.body.data.embedSessions).toEqual([
      { sessionId: 'visitor-1', chatCount: 2 },
      { sessionId: 'visitor-2', chatCount: 1 },
    ]);
  });

  it('GraphQL creates, updates, toggles and deletes with the same rules', async () => {
    const gql = (who: Session, query: string, variables?: object) =>
      http.call('POST', '/graphql', { query, variables }, as(who));
    const created = await gql(
      manager,
      'mutation($i: CreateEmbedConfigInput!) { createEmbedConfig(input: $i) { uuid workspaceId enabled chatMode allowlistDomains maxChatsPerDay } }',
      { i: { workspaceSlug: workspace.slug, chatMode: 'chat', allowlistDomains: ['example.com'], maxChatsPerDay: 3 } },
    );
    const config = created.body.data.createEmbedConfig;
    expect(config).toMatchObject({
      workspaceId: String(workspace.id),
      enabled: true,
      chatMode: 'chat',
      allowlistDomains: ['example.com'],
      maxChatsPerDay: 3,
    });
    const updated = await gql(
      admin,
      `mutation { updateEmbedConfig(uuid: "${config.uuid}", input: { maxChatsPerDay: null, chatMode: "query" }) { chatMode maxChatsPerDay } }`,
    );
    expect(updated.body.data.updateEmbedConfig).toEqual({ chatMode: 'query', maxChatsPerDay: null });
    expect(
      (await gql(admin, `mutation { toggleEmbedConfig(uuid: "${config.uuid}") { enabled } }`)).body.data
        .toggleEmbedConfig,
    ).toEqual({ enabled: false });
    expect((await gql(admin, '{ embedConfigs { uuid } }')).body.data.embedConfigs).toContainEqual({
      uuid: config.uuid,
    });
    await expectAppendsNothing(server, async () => {
      expect(
        (await gql(member, `mutation { deleteEmbedConfig(uuid: "${config.uuid}") }`)).body.errors[0].extensions.code,
      ).toBe('FORBIDDEN');
      const bad = await gql(
        admin,
        `mutation { updateEmbedConfig(uuid: "${config.uuid}", input: { chatMode: "gossip" }) { uuid } }`,
      );
      expect(bad.body.errors[0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        fieldErrors: { chatMode: expect.any(Array) },
      });
    });
    expect((await gql(admin, `mutation { deleteEmbedConfig(uuid: "${config.uuid}") }`)).body.data).toEqual({
      deleteEmbedConfig: true,
    });
    expect((await gql(admin, `{ embedConfig(uuid: "${config.uuid}") { uuid } }`)).body.data).toEqual({
      embedConfig: null,
    });
  });
});
