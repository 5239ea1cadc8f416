/**
 * What a client can get into the event log is bounded and deliberate: every user-supplied string has a
 * limit (a 400 with field_errors past it), names and prompts may not hold NUL, lone surrogates or
 * bidirectional controls (REST and GraphQL alike), and a failed login for an unknown username keeps
 * only a keyed digest of the name. Real HTTP against a real server; each refusal appends nothing.
 */
import { appendedSince, expectAppendsNothing, uniqueName } from '../support/e2e.js';
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';
import { createEmbed, createWorkspace } from '../support/embed.js';
import { TEXT_LIMITS } from '../../src/domain/shared/text.js';

let server: TestServer;
let admin: { access: string; userId: number };
let workspace: { id: number; slug: string };

/** One of each kind of text the log must not take in, with the words a 400 gives for it. */
const UNSAFE: [what: string, text: string, message: RegExp][] = [
  ['a NUL character', 'Ops\u0000Team', /null character/i],
  ['a lone high surrogate', 'Ops \uD83D Team', /surrogate/i],
  ['a lone low surrogate', 'Ops \uDE00 Team', /surrogate/i],
  ['a right-to-left override', 'Invoice \u202Egpj.exe', /bidirectional/i],
  ['a first-strong isolate', 'Ops \u2068Team\u2069', /bidirectional/i],
];

beforeAll(async () => {
  server = await startTestServer();
  const { user, access } = await registerAndLogin(server, uniqueName('admin'));
  admin = { access, userId: user.id };
  workspace = await createWorkspace(server, admin);
});

afterAll(() => server?.close());

const as = () => bearer(admin.access);
const gql = (query: string, variables: Record<string, unknown>) =>
  api(server, 'POST', '/graphql', { query, variables }, as());

describe('given a failed login for a username nobody holds', () => {
  it('when the name is an ordinary one, then the event keeps a keyed digest of it and never the text', async () => {
    const typed = `Hunter2-${uniqueName('Secret')}`; // what a password typed into the username box looks like
    const before = await server.head();
    const res = await api(server, 'POST', '/api/auth/login/', { username: typed, password: 'whatever-it-was' });
    expect(res.status).toBe(401);
    const events = await server.deps.store.readAll({ after: before });
    expect(events.map((e) => e.type)).toEqual(['LoginFailedInvalidUsername']);
    expect(JSON.stringify(events)).not.toContain(typed);
    expect(JSON.stringify(events).toLowerCase()).not.toContain(typed.toLowerCase());
    expect(events[0].data).toEqual({ usernameDigest: expect.stringMatching(/^[\w-]{22}$/), at: expect.any(String) });
    // Normalised as usernames are reserved: the same name in other case gives the same digest.
    expect(events[0].data.usernameDigest).toBe(server.deps.tokens.attemptedUsernameDigest(typed.toLowerCase()));
  });

  it(`when the name is longer than any username (${TEXT_LIMITS.username}), then 400 naming the field and nothing is written`, async () => {
    const res = await expectAppendsNothing(server, () =>
      api(server, 'POST', '/api/auth/login/', { username: 'u'.repeat(1_000_000), password: 'x' }),
    );
    expect(res.status).toBe(400);
    expect(res.body.field_errors.username).toEqual([
      `Ensure this field has no more than ${TEXT_LIMITS.username} characters.`,
    ]);
  });
});

describe('given a request with an enormous User-Agent', () => {
  it('then its event keeps only the first characters of it', async () => {
    const before = await server.head();
    const res = await api(
      server,
      'POST',
      '/api/workspaces/',
      { name: uniqueName('Agent') },
      { ...as(), 'User-Agent': 'A'.repeat(12_000) },
    );
    expect(res.status).toBe(201);
    const events = await server.deps.store.readAll({ after: before });
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(e.metadata.userAgent).toBe('A'.repeat(TEXT_LIMITS.header));
  });
});

describe.each(UNSAFE)('given a name or prompt holding %s', (_what, text, message) => {
  it('when a workspace is created over REST, then 400 on name and nothing is written', async () => {
    const res = await expectAppendsNothing(server, () => api(server, 'POST', '/api/workspaces/', { name: text }, as()));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: expect.any(String), field_errors: { name: [expect.stringMatching(message)] } });
  });

  it('when a workspace is created over GraphQL, then BAD_USER_INPUT on name and nothing is written', async () => {
    const res = await expectAppendsNothing(server, () =>
      gql('mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }', {
        input: { name: text },
      }),
    );
    expect(res.body.data).toBeNull();
    expect(res.body.errors[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fieldErrors: { name: [expect.stringMatching(message)] },
    });
  });

  it('when a workspace prompt is changed, then 400 on openai_prompt and nothing is written', async () => {
    const res = await expectAppendsNothing(server, () =>
      api(server, 'PATCH', `/api/workspaces/${workspace.slug}/`, { openai_prompt: `Be brief. ${text}` }, as()),
    );
    expect(res.status).toBe(400);
    expect(res.body.field_errors.openai_prompt).toEqual([expect.stringMatching(message)]);
  });

  it('when a thread is named, then 400 on name and nothing is written', async () => {
    const res = await expectAppendsNothing(server, () =>
      api(server, 'POST', `/api/workspaces/${workspace.slug}/threads/`, { name: text }, as()),
    );
    expect(res.status).toBe(400);
    expect(res.body.field_errors.name).toEqual([expect.stringMatching(message)]);
  });

  it('when a chat message is sent over REST, then 400 on message before any stream and nothing is written', async () => {
    const res = await expectAppendsNothing(server, () =>
      api(server, 'POST', '/api/chats/stream_chat/', { message: text, workspace_slug: workspace.slug }, as()),
    );
    expect(res.status).toBe(400);
    expect(res.body.field_errors.message).toEqual([expect.stringMatching(message)]);
  });

  it('when a chat message is sent over GraphQL, then BAD_USER_INPUT on message and nothing is written', async () => {
    const res = await expectAppendsNothing(server, () =>
      gql('mutation($input: SendChatInput!) { sendChat(input: $input) { id } }', {
        input: { message: text, workspaceSlug: workspace.slug },
      }),
    );
    expect(res.body.errors[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fieldErrors: { message: [expect.stringMatching(message)] },
    });
  });

  it('when a text setting is changed, then 400 and nothing is written', async () => {
    const res = await expectAppendsNothing(server, () =>
      api(server, 'PATCH', '/api/system/settings/footer_data/', { value: text }, as()),
    );
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(message);
  });

  it('when a document carries it in its metadata, then 400 on metadata and nothing is written', async () => {
    const form = new FormData();
    form.set('workspace_id', String(workspace.id));
    form.set('metadata', JSON.stringify({ source: text }));
    form.append('file', new Blob(['Some text.'], { type: 'text/plain' }), 'notes.txt');
    const res = await expectAppendsNothing(server, () =>
      fetch(`${server.url}/api/documents/upload/`, { method: 'POST', headers: as(), body: form }),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).field_errors.metadata).toEqual([expect.stringMatching(message)]);
  });

  it('when a visitor asks through an embed widget, then 400 on message and nothing is written', async () => {
    const embed = await createEmbed(server, admin, { workspace: workspace.id });
    const res = await expectAppendsNothing(server, () =>
      api(server, 'POST', `/api/embed/${embed.uuid}/stream-chat/`, { session_id: crypto.randomUUID(), message: text }),
    );
    expect(res.status).toBe(400);
    expect(res.body.field_errors.message).toEqual([expect.stringMatching(message)]);
  });
});

describe('given text past its limit', () => {
  it('when a document metadata object is larger than the limit as JSON, then 400 on metadata and nothing is written', async () => {
    const form = new FormData();
    form.set('workspace_id', String(workspace.id));
    form.set('metadata', JSON.stringify({ notes: 'n'.repeat(TEXT_LIMITS.metadataJson) }));
    form.append('file', new Blob(['Some text.'], { type: 'text/plain' }), 'notes.txt');
    const res = await expectAppendsNothing(server, () =>
      fetch(`${server.url}/api/documents/upload/`, { method: 'POST', headers: as(), body: form }),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).field_errors.metadata).toEqual([
      expect.stringContaining(String(TEXT_LIMITS.metadataJson)),
    ]);
  });

  it('when a workspace name is one character too long, then 400 on name; at the limit it is accepted', async () => {
    const over = await expectAppendsNothing(server, () =>
      api(server, 'POST', '/api/workspaces/', { name: 'w'.repeat(TEXT_LIMITS.name + 1) }, as()),
    );
    expect(over.status).toBe(400);
    expect(over.body.field_errors.name).toEqual([`Ensure this field has no more than ${TEXT_LIMITS.name} characters.`]);
    const before = await server.head();
    const at = await api(server, 'POST', '/api/workspaces/', { name: 'w'.repeat(TEXT_LIMITS.name) }, as());
    expect(at.status).toBe(201);
    expect(await appendedSince(server, before)).not.toEqual([]);
  });

  it('when text that is merely unusual (emoji, right-to-left script, a combining mark) is sent, then it is accepted as written', async () => {
    const name = `Ops 😀 فريق é ${uniqueName('ws')}`;
    const res = await api(server, 'POST', '/api/workspaces/', { name }, as());
    expect(res.status).toBe(201);
    expect(res.body.name).toBe(name);
  });
});
