import { randomUUID } from 'node:crypto';
import { appendedSince, expectAppendsNothing } from '../support/e2e.js';
import {
  createEmbed,
  createWorkspace,
  type EmbedConfigBody,
  type EmbedOwner,
  embedSessions,
  registerAdmin,
  toggleEmbed,
} from '../support/embed.js';
import { uploadReadyDocument } from '../support/documents.js';
import { type FakeLlmServer, startFakeOpenAi } from '../support/fake-openai.js';
import { api, startTestServer, type TestServer } from '../support/server.js';
import { answerOf, postSse } from '../support/sse.js';

/**
 * The widget's public endpoints over real HTTP and SSE: POST /api/embed/{uuid}/stream-chat/ and
 * GET /api/embed/{uuid}/{session_id}/, unauthenticated, checked in DESIGN.md's order.
 */
const ALLOWED = 'http://shop.example';
const FOREIGN = 'http://evil.example';
const HANDBOOK =
  'Refund policy. Customers may return any unused item within 45 days of delivery for a full refund. ' +
  'Shipping is free for orders over 60 euros.';
const STACK_TRACE = /\bat\s+\S*?[/\\][^\s:()]+\.(?:[cm]?[jt]s)(?::\d+)?/;

let server: TestServer;
let fake: FakeLlmServer;
let owner: EmbedOwner;
let workspaceId: number;
/** A workspace answered by the fake OpenAI endpoint, which records every prompt it is sent. */
let modelWorkspaceId: number;

beforeAll(async () => {
  fake = await startFakeOpenAi({ tokens: ['Fine ', 'answer.'] });
  server = await startTestServer({ OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test-not-a-real-key' });
  owner = await registerAdmin(server);
  workspaceId = (await createWorkspace(server, owner)).id;
  await uploadReadyDocument(server, owner.access, workspaceId, 'handbook.txt', HANDBOOK);
  modelWorkspaceId = (await createWorkspace(server, owner, { chat_provider: 'openai', chat_model: 'fake-model' })).id;
}, 60_000);

afterAll(async () => {
  await server?.close();
  await fake?.close();
});

beforeEach(() => fake.set({ tokens: ['Fine ', 'answer.'], status: null, delayMs: 0, errorAfter: null }));

const embed = (body: Partial<EmbedConfigBody> = {}) =>
  createEmbed(server, owner, { workspace: workspaceId, allowlist_domains: 'shop.example', ...body });

const chat = (
  uuid: string,
  body: unknown,
  origin: string | null = ALLOWED,
  options: { signal?: AbortSignal; onFrame?: (f: any) => void } = {},
) => postSse(`${server.url}/api/embed/${uuid}/stream-chat/`, body, origin ? { Origin: origin } : {}, options);

/** The widget's session id for a name a test gives it: a random UUID, as the widget makes them, one per name. */
const sessionIds = new Map<string, string>();
const sid = (name: string) => sessionIds.get(name) ?? sessionIds.set(name, randomUUID()).get(name)!;

const history = (uuid: string, sessionId: string, origin: string | null = ALLOWED) =>
  api(server, 'GET', `/api/embed/${uuid}/${sessionId}/`, undefined, origin ? { Origin: origin } : {});

/** Frame types of an SSE answer, e.g. ['start', 'stream', 'stream', 'complete']. */
const kinds = (frames: any[]) => [...new Set(frames.map((f) => f.type))];

describe('answering', () => {
  it('streams start, tokens and complete with a chat_id, in the config chat_mode, quoting the workspace documents', async () => {
    const config = await embed({ chat_mode: 'query' });
    const res = await chat(config.uuid, {
      session_id: sid('visitor-1'),
      message: 'Can I return an unused item for a full refund?',
    });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.frames[0]).toEqual({ id: expect.any(String), type: 'start', message: 'Processing...' });
    expect(new Set(res.frames.map((f) => f.id)).size).toBe(1);
    expect(kinds(res.frames)).toEqual(['start', 'stream', 'complete']);
    expect(res.frames.at(-1)).toEqual({ id: res.frames[0].id, type: 'complete', chat_id: expect.any(Number) });
    expect(answerOf(res.frames)).toContain('within 45 days of delivery');
  });

  it('in query mode with nothing relevant answers the workspace refusal without asking the model', async () => {
    const empty = await createWorkspace(server, owner, {
      chat_provider: 'openai',
      query_refusal_response: 'Sorry, our documents do not cover that.',
    });
    const config = await embed({ workspace: empty.id, chat_mode: 'query' });
    const before = fake.requests.length;
    const res = await chat(config.uuid, { session_id: sid('s'), message: 'What is the meaning of life?' });
    expect(answerOf(res.frames)).toBe('Sorry, our documents do not cover that.');
    expect(fake.requests.length).toBe(before);
  });

  it('records EmbedChatCompleted as the embed actor, shown in the session listing and the session history', async () => {
    const config = await embed();
    const before = await server.head();
    const res = await chat(config.uuid, { session_id: sid('listed'), message: 'Is shipping free?' });
    expect(res.frames.at(-1).type).toBe('complete');

    const events = await server.deps.store.readAll({ after: before });
    const completed = events.filter((e) => e.type === 'EmbedChatCompleted');
    expect(completed).toHaveLength(1);
    expect(completed[0].data).toEqual({
      embedUuid: config.uuid,
      sessionId: sid('listed'),
      prompt: 'Is shipping free?',
      response: answerOf(res.frames),
      at: expect.any(String),
    });
    expect(completed[0].metadata).toMatchObject({ actorType: 'embed', actorId: config.uuid });
    expect(completed[0].position).toBe(res.frames.at(-1).chat_id);
    expect(events.filter((e) => e.type === 'EmbedChatStarted')).toHaveLength(1);

    const sessions = await embedSessions(server, owner, config.uuid);
    expect(sessions).toEqual([
      { session_id: sid('listed'), embed_config: config.uuid, chat_count: 1, last_activity: completed[0].data.at },
    ]);

    // In the event logs as AnythingLLM's sent_chat; the quota stream's bookkeeping stays out.
    const logs = await api(server, 'GET', `/api/system/event-logs/?id__gt=${before}`, undefined, {
      Authorization: `Bearer ${owner.access}`,
    });
    expect(logs.body.map((l: any) => l.event)).toEqual(['sent_chat']);
    expect(logs.body[0]).toMatchObject({
      user_id: null,
      metadata: { embed_uuid: config.uuid, session_id: sid('listed') },
    });

    const listed = await history(config.uuid, sid('listed'));
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([
      {
        id: completed[0].position,
        session_id: sid('listed'),
        prompt: 'Is shipping free?',
        response: answerOf(res.frames),
        created_at: completed[0].data.at,
      },
    ]);
  });

  it('a provider failure ends the stream with a clean error frame and records the failure, not an answer', async () => {
    fake.set({ status: 500, errorMessage: 'upstream exploded at /srv/model/server.py:12' });
    const config = await embed({ workspace: modelWorkspaceId, chat_mode: 'chat' });
    const before = await server.head();
    const res = await chat(config.uuid, { session_id: sid('unlucky'), message: 'Hello?' });

    expect(res.status).toBe(200);
    expect(res.frames.map((f) => f.type)).toEqual(['start', 'error']);
    const error = res.frames[1].error as string;
    // An anonymous visitor learns nothing of the provider (its message can name internal hosts)...
    expect(error).toBe('The answer could not be completed. Please try again later.');
    expect(error).not.toMatch(STACK_TRACE);
    const events = await server.deps.store.readAll({ after: before });
    expect(events.map((e) => e.type)).toEqual(['EmbedChatStarted', 'EmbedChatFailed']);
    // ...while the recorded failure keeps the provider's clean message for the workspace's admins.
    const reason = String(events[1]!.data.reason);
    expect(reason).toMatch(/HTTP 500/);
    expect(reason).not.toMatch(STACK_TRACE);
    expect(reason).not.toContain('sk-test');
    expect((await history(config.uuid, sid('unlucky'))).body).toEqual([]);
  });

  it('a visitor who goes away stops the model call, and the chat is recorded as cancelled', async () => {
    fake.set({ tokens: Array.from({ length: 200 }, (_, i) => `t${i} `), delayMs: 20 });
    const config = await embed({ workspace: modelWorkspaceId, chat_mode: 'chat' });
    const before = await server.head();
    const requestsBefore = fake.requests.length;
    const abort = new AbortController();
    await chat(config.uuid, { session_id: sid('leaver'), message: 'Tell me everything.' }, ALLOWED, {
      signal: abort.signal,
      onFrame: (f) => {
        if (f.type === 'stream') abort.abort();
      },
    });
    const upstream = fake.requests[requestsBefore];
    await upstream.finished;
    expect(upstream.aborted).toBe(true);

    const deadline = Date.now() + 5000;
    let types: string[] = [];
    while (Date.now() < deadline) {
      types = (await server.deps.store.readAll({ after: before })).map((e) => e.type);
      if (types.includes('EmbedChatFailed')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(types).toEqual(['EmbedChatStarted', 'EmbedChatFailed']);
  });
});

describe('checks, in order', () => {
  it('404 for an unknown or malformed config, before anything else, appending nothing', async () => {
    for (const uuid of [randomUUID(), 'not-a-uuid']) {
      const res = await expectAppendsNothing(server, () =>
        chat(uuid, { session_id: sid('s'), message: 'hi' }, FOREIGN),
      );
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: 'Not found.' });
      expect((await history(uuid, sid('s'))).status).toBe(404);
    }
  });

  it('404 once the config workspace is deleted', async () => {
    const doomed = await createWorkspace(server, owner);
    const config = await embed({ workspace: doomed.id });
    expect(
      (
        await api(server, 'DELETE', `/api/workspaces/${doomed.slug}/`, undefined, {
          Authorization: `Bearer ${owner.access}`,
        })
      ).status,
    ).toBe(204);
    const res = await expectAppendsNothing(server, () => chat(config.uuid, { session_id: sid('s'), message: 'hi' }));
    expect(res.status).toBe(404);
  });

  it('404 for a disabled config even from a foreign origin (404 comes before 403)', async () => {
    const config = await embed();
    await toggleEmbed(server, owner, config.uuid);
    const res = await expectAppendsNothing(server, () =>
      chat(config.uuid, { session_id: sid('s'), message: 'hi' }, FOREIGN),
    );
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'Not found.' });
    expect((await history(config.uuid, sid('s'))).status).toBe(404);
    await toggleEmbed(server, owner, config.uuid);
    expect((await chat(config.uuid, { session_id: sid('s'), message: 'hi' })).status).toBe(200);
  });

  it('403 for an Origin outside a non-empty allowlist, or none, even over the limits (403 comes before 429)', async () => {
    const config = await embed({ max_chats_per_day: 1, message_limit: 1 });
    expect((await chat(config.uuid, { session_id: sid('s'), message: 'hi' })).status).toBe(200);
    for (const origin of [FOREIGN, null, 'http://shop.example.evil.example', 'null']) {
      const res = await expectAppendsNothing(server, () =>
        chat(config.uuid, { session_id: sid('s'), message: 'hi' }, origin),
      );
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ detail: 'You do not have permission to perform this action.' });
    }
    expect((await history(config.uuid, sid('s'), FOREIGN)).status).toBe(403);
  });

  it('an empty allowlist lets any origin in', async () => {
    const config = await embed({ allowlist_domains: '' });
    expect((await chat(config.uuid, { session_id: sid('s'), message: 'hi' }, FOREIGN)).status).toBe(200);
    expect((await chat(config.uuid, { session_id: sid('s'), message: 'hi' }, null)).status).toBe(200);
  });

  it('400 for a missing or malformed session id or message, counted against no limit', async () => {
    const config = await embed({ max_chats_per_day: 1 });
    for (const body of [
      { message: 'hi' },
      { session_id: sid('s') },
      { session_id: 'has space', message: 'hi' },
      { session_id: sid('s'), message: '   ' },
    ]) {
      const res = await expectAppendsNothing(server, () => chat(config.uuid, body));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'Validation failed.', field_errors: expect.any(Object) });
    }
    expect((await chat(config.uuid, { session_id: sid('s'), message: 'hi' })).status).toBe(200);
  });

  it('400 for a session id the visitor chose rather than drew (not a random UUID), for a question and for history', async () => {
    const config = await embed();
    const chosen = [
      'visitor-1',
      '00000000-0000-0000-0000-000000000000',
      '123e4567-e89b-12d3-a456-426614174000',
      `${randomUUID()}x`,
    ];
    for (const sessionId of chosen) {
      const res = await expectAppendsNothing(server, () => chat(config.uuid, { session_id: sessionId, message: 'hi' }));
      expect(res.status).toBe(400);
      expect(res.body.field_errors).toEqual({
        session_id: ['Must be a random UUID (version 4), as the widget makes them.'],
      });
      const read = await history(config.uuid, sessionId);
      expect(read.status).toBe(400);
      expect(read.body.field_errors).toEqual({
        session_id: ['Must be a random UUID (version 4), as the widget makes them.'],
      });
    }
  });

  it('429 with the spec message over max_chats_per_day, counting every session of the config', async () => {
    const config = await embed({ max_chats_per_day: 2 });
    expect((await chat(config.uuid, { session_id: sid('a'), message: 'one' })).status).toBe(200);
    expect((await chat(config.uuid, { session_id: sid('b'), message: 'two' })).status).toBe(200);
    const res = await expectAppendsNothing(server, () => chat(config.uuid, { session_id: sid('c'), message: 'three' }));
    expect(res.status).toBe(429);
    expect(res.body).toEqual({ error: 'You have reached your daily chat limit of 2' });
  });

  it('429 over message_limit in one session while other sessions go on; the daily limit is named first', async () => {
    const config = await embed({ message_limit: 2 });
    expect((await chat(config.uuid, { session_id: sid('talker'), message: 'one' })).status).toBe(200);
    expect((await chat(config.uuid, { session_id: sid('talker'), message: 'two' })).status).toBe(200);
    const res = await expectAppendsNothing(server, () =>
      chat(config.uuid, { session_id: sid('talker'), message: 'three' }),
    );
    expect(res.status).toBe(429);
    expect(res.body).toEqual({ error: 'You have reached the limit of 2 messages in this chat session' });
    expect((await chat(config.uuid, { session_id: sid('other'), message: 'one' })).status).toBe(200);

    const both = await embed({ max_chats_per_day: 1, message_limit: 1 });
    expect((await chat(both.uuid, { session_id: sid('x'), message: 'one' })).status).toBe(200);
    expect((await chat(both.uuid, { session_id: sid('x'), message: 'two' })).body).toEqual({
      error: 'You have reached your daily chat limit of 1',
    });
  });

  it('N simultaneous chats against max_chats_per_day=k: exactly k answered, the rest 429, k counted', async () => {
    const k = 3;
    const config = await embed({ max_chats_per_day: k });
    const before = await server.head();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        chat(config.uuid, { session_id: sid(`crowd-${i}`), message: 'Is shipping free?' }),
      ),
    );

    const answered = results.filter((r) => r.status === 200);
    expect(answered).toHaveLength(k);
    for (const r of answered) expect(r.frames.at(-1).type).toBe('complete');
    expect(results.filter((r) => r.status === 429).map((r) => r.body)).toEqual(
      Array.from({ length: 12 - k }, () => ({ error: `You have reached your daily chat limit of ${k}` })),
    );
    const types = (await appendedSince(server, before)).map((s) => s.split(':').at(-1));
    expect(types.filter((t) => t === 'EmbedChatStarted')).toHaveLength(k);
    expect(types.filter((t) => t === 'EmbedChatCompleted')).toHaveLength(k);
  });
});

describe('sessions', () => {
  it('history and the model prompt hold this session only, never another session of the same config', async () => {
    const config = await embed({ workspace: modelWorkspaceId, chat_mode: 'chat' });
    fake.set({ tokens: ['Alpha ', 'reply.'] });
    await chat(config.uuid, { session_id: sid('alice'), message: 'alpha question from alice' });
    fake.set({ tokens: ['Bravo ', 'reply.'] });
    await chat(config.uuid, { session_id: sid('bob'), message: 'bravo question from bob' });
    fake.set({ tokens: ['Charlie ', 'reply.'] });
    const requestsBefore = fake.requests.length;
    await chat(config.uuid, { session_id: sid('alice'), message: 'charlie question from alice' });

    const prompt = JSON.stringify(fake.requests[requestsBefore].body.messages);
    expect(prompt).toContain('alpha question from alice');
    expect(prompt).toContain('Alpha reply.');
    expect(prompt).not.toContain('bravo');
    expect(prompt).not.toContain('Bravo');
    // Bob's own prompt never saw Alice's exchange either.
    const bobs = fake.requests.find((r) => JSON.stringify(r.body.messages).includes('bravo question from bob'))!;
    expect(JSON.stringify(bobs.body.messages)).not.toContain('alpha');

    expect((await history(config.uuid, sid('alice'))).body.map((c: any) => [c.prompt, c.response])).toEqual([
      ['alpha question from alice', 'Alpha reply.'],
      ['charlie question from alice', 'Charlie reply.'],
    ]);
    expect((await history(config.uuid, sid('bob'))).body.map((c: any) => c.prompt)).toEqual([
      'bravo question from bob',
    ]);
    expect((await history(config.uuid, sid('nobody'))).body).toEqual([]);
  });

  it('the same session id under another config is another session', async () => {
    const first = await embed();
    const second = await embed();
    await chat(first.uuid, { session_id: sid('shared-id'), message: 'Is shipping free?' });
    expect((await history(second.uuid, sid('shared-id'))).body).toEqual([]);
  });
});

describe('CORS', () => {
  const preflight = (uuid: string, origin: string, path = 'stream-chat/') =>
    fetch(`${server.url}/api/embed/${uuid}/${path}`, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    });

  it('answers a preflight from an allowed origin with that origin, never * and never with credentials', async () => {
    const config = await embed();
    const res = await preflight(config.uuid, ALLOWED);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('vary')).toMatch(/Origin/);
  });

  it('gives a foreign origin no CORS headers, on preflight, chat and history alike', async () => {
    const config = await embed();
    const pre = await preflight(config.uuid, FOREIGN);
    expect(pre.status).toBe(403);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const res = await chat(config.uuid, { session_id: sid('s'), message: 'hi' }, FOREIGN);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await history(config.uuid, sid('s'), FOREIGN)).headers.get('access-control-allow-origin')).toBeNull();
    const unknown = await preflight(randomUUID(), ALLOWED);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allowed origins see CORS headers on answers and on refusals they may read (429)', async () => {
    const config = await embed({ max_chats_per_day: 1 });
    const ok = await chat(config.uuid, { session_id: sid('s'), message: 'hi' });
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    const limited = await chat(config.uuid, { session_id: sid('s'), message: 'again' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect((await history(config.uuid, sid('s'))).headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('with an empty allowlist echoes whichever origin asks, still never *', async () => {
    const config = await embed({ allowlist_domains: '' });
    const res = await preflight(config.uuid, FOREIGN);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(FOREIGN);
  });
});

describe('the widget script', () => {
  it('is served as JavaScript that other sites may load', async () => {
    const res = await fetch(`${server.url}/embed/chronicle-chat-widget.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(await res.text()).toContain('data-embed-id');
  });
});
