import { startFakeOpenAi, type FakeLlmServer } from '../support/fake-openai.js';
import { appendedSince, expectAppendsNothing } from '../support/e2e.js';
import { pinDocument, uploadReadyDocument } from '../support/documents.js';
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';
import { answerOf, postSse } from '../support/sse.js';

const REFUNDS = `Refund policy. Customers may return any item within thirty days of delivery for a full refund.
Items must be unused and in their original packaging. Refunds are paid to the original payment method within five business days.`;
const SHIPPING = `Shipping. Orders leave our warehouse in Rotterdam every weekday at noon. Express delivery reaches most of Europe in two days.`;
const PINNED = 'House style: always greet the customer by name and sign with "The Acme team".';
const STACK = /\bat\s+\S*?[/\\][^\s:()]+\.(?:[cm]?[jt]s)(?::\d+)?/;

describe('Chats over REST and SSE', () => {
  let server: TestServer;
  let fake: FakeLlmServer;
  /** The ids of the documents uploaded into each workspace, by workspace id. */
  const docs = new Map<number, { refunds: number; shipping: number }>();
  let style: number; // pinned in `bot`
  let admin: Awaited<ReturnType<typeof registerAndLogin>>;
  let member: Awaited<ReturnType<typeof registerAndLogin>>;
  let outsider: Awaited<ReturnType<typeof registerAndLogin>>;
  let handbook: any; // extractive answers (the default provider)
  let bot: any; // answered by the OpenAI-compatible endpoint
  let faq: any; // the same endpoint, no pinned documents

  const stream = (who: { access: string }, body: unknown, options?: Parameters<typeof postSse>[3]) =>
    postSse(`${server.url}/api/chats/stream_chat/`, body, bearer(who.access), options);

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    server = await startTestServer({
      OPENAI_BASE_URL: fake.url,
      OPENAI_API_KEY: 'sk-test-not-real',
      RATE_LIMIT_UPLOAD_PER_MIN: '1000',
    });
    admin = await registerAndLogin(server, 'chat_admin');
    member = await registerAndLogin(server, 'chat_member');
    outsider = await registerAndLogin(server, 'chat_outsider');
    handbook = (await api(server, 'POST', '/api/workspaces/', { name: 'Handbook' }, bearer(admin.access))).body;
    bot = (
      await api(
        server,
        'POST',
        '/api/workspaces/',
        {
          name: 'Bot',
          chat_provider: 'openai',
          chat_model: 'test-model',
          openai_temp: 0.3,
          openai_prompt: 'You are the Acme handbook bot.',
          chat_history: 2,
        },
        bearer(admin.access),
      )
    ).body;
    faq = (
      await api(
        server,
        'POST',
        '/api/workspaces/',
        { name: 'FAQ', chat_provider: 'openai', chat_mode: 'query' },
        bearer(admin.access),
      )
    ).body;
    for (const ws of [handbook, bot, faq]) {
      expect(
        (
          await api(
            server,
            'POST',
            `/api/workspaces/${ws.slug}/add_user/`,
            { user_id: member.user.id },
            bearer(admin.access),
          )
        ).status,
      ).toBe(200);
      docs.set(ws.id, {
        refunds: await uploadReadyDocument(server, admin.access, ws.id, 'refunds.md', REFUNDS),
        shipping: await uploadReadyDocument(server, admin.access, ws.id, 'shipping.md', SHIPPING),
      });
    }
    style = await uploadReadyDocument(server, admin.access, bot.id, 'style.md', PINNED);
    await pinDocument(server, admin.access, style);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  describe('streaming', () => {
    it("streams a grounded answer in the spec's frames: start, stream tokens, complete with the chat id", async () => {
      const res = await stream(member, {
        message: 'How many days do I have to return an item?',
        workspace_slug: handbook.slug,
        mode: 'chat',
        attachments: [],
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const [start, ...rest] = res.frames;
      expect(start).toEqual({ id: expect.any(String), type: 'start', message: 'Processing...' });
      const complete = rest.pop();
      expect(complete).toEqual({ id: start.id, type: 'complete', chat_id: expect.any(Number) });
      expect(rest.length).toBeGreaterThan(3);
      for (const f of rest) expect(f).toEqual({ id: start.id, type: 'stream', token: expect.any(String) });
      expect(answerOf(res.frames)).toContain('refunds.md');
      expect(answerOf(res.frames)).toContain('within thirty days of delivery');

      const history = await api(
        server,
        'GET',
        `/api/chats/history/?workspace_id=${handbook.id}`,
        undefined,
        bearer(member.access),
      );
      expect(history.status).toBe(200);
      const chat = history.body.find((c: any) => c.id === complete.chat_id);
      expect(chat).toEqual({
        id: complete.chat_id,
        prompt: 'How many days do I have to return an item?',
        response: answerOf(res.frames),
        workspace: handbook.id,
        thread: null,
        user: member.user.id,
        mode: 'chat',
        feedback: null,
        comment: null,
        sources: [
          expect.objectContaining({
            document_id: docs.get(handbook.id)!.refunds,
            filename: 'refunds.md',
            chunk: 0,
            score: expect.any(Number),
          }),
        ],
        created_at: expect.stringMatching(/Z$/),
      });
    });

    it('records ChatRequested then ChatCompleted on chat-<id>, logged as sent_chat; tokens are not events', async () => {
      const before = await server.head();
      const res = await stream(member, {
        message: 'When do orders leave the warehouse?',
        workspace_slug: handbook.slug,
      });
      const chatId = res.frames.at(-1).chat_id;
      const appended = (await appendedSince(server, before)).filter(
        (e) => !e.startsWith('sequence-') && !e.startsWith('chatquota-'),
      );
      expect(appended).toEqual([`chat-${chatId}:ChatRequested`, `chat-${chatId}:ChatCompleted`]);
      const logs = await api(server, 'GET', '/api/system/event-logs/?event=sent_chat', undefined, bearer(admin.access));
      expect(logs.status).toBe(200);
      const entries = Array.isArray(logs.body) ? logs.body : logs.body.results;
      expect(entries.some((e: any) => e.metadata.chat_id === chatId && e.user_id === member.user.id)).toBe(true);
    });

    it('in query mode quotes the right document, and refuses without calling the model when nothing is relevant', async () => {
      const asked = fake.requests.length;
      const grounded = await stream(member, {
        message: 'When do orders leave the warehouse?',
        workspace_slug: handbook.slug,
        mode: 'query',
      });
      expect(answerOf(grounded.frames)).toContain('shipping.md');
      expect(answerOf(grounded.frames)).toContain('Rotterdam');

      const refused = await stream(member, {
        message: 'What is the airspeed velocity of an unladen swallow?',
        workspace_slug: faq.slug,
      });
      expect(refused.frames.at(-1).type).toBe('complete');
      expect(answerOf(refused.frames)).toBe('There is no relevant information in this workspace to answer your query.');
      expect(fake.requests.length).toBe(asked); // the OpenAI-compatible endpoint was never called
      const chat = (
        await api(server, 'GET', `/api/chats/${refused.frames.at(-1).chat_id}/`, undefined, bearer(member.access))
      ).body;
      expect(chat).toMatchObject({
        mode: 'query',
        sources: [],
        response: 'There is no relevant information in this workspace to answer your query.',
      });
    });

    it('sends the configured endpoint the model, temperature, system prompt, pinned text, retrieved context and history', async () => {
      fake.set({ tokens: ['Thirty', ' days', '.'] });
      const first = await stream(member, { message: 'How long is the refund period?', workspace_slug: bot.slug });
      expect(answerOf(first.frames)).toBe('Thirty days.');
      fake.set({ tokens: ['Five', ' business', ' days', '.'] });
      const second = await stream(member, { message: 'And how fast is the refund paid?', workspace_slug: bot.slug });
      expect(second.frames.at(-1).type).toBe('complete');

      const request = fake.requests.at(-1)!;
      expect(request.path).toBe('/v1/chat/completions');
      expect(request.body).toMatchObject({ model: 'test-model', temperature: 0.3, stream: true });
      const messages = request.body.messages as { role: string; content: string }[];
      expect(messages[0].role).toBe('system');
      expect(messages[0].content).toContain('You are the Acme handbook bot.');
      expect(messages[0].content).toContain(PINNED); // pinned document, whole
      expect(messages[0].content).toContain('original payment method within five business days'); // retrieved chunk
      expect(messages.slice(1)).toEqual([
        { role: 'user', content: 'How long is the refund period?' },
        { role: 'assistant', content: 'Thirty days.' },
        { role: 'user', content: 'And how fast is the refund paid?' },
      ]);
      const chat = (
        await api(server, 'GET', `/api/chats/${second.frames.at(-1).chat_id}/`, undefined, bearer(member.access))
      ).body;
      expect(chat.response).toBe('Five business days.');
      expect(chat.sources.map((s: any) => s.filename)).toEqual(expect.arrayContaining(['style.md', 'refunds.md']));
      expect(chat.sources.find((s: any) => s.filename === 'style.md')).toEqual({
        document_id: style,
        filename: 'style.md',
        chunk: null,
        score: 1,
      });
      fake.set({ tokens: ['Hello', ',', ' world', '!'] });
    });

    it("answers a workspace that names no provider with the admins' llm_provider setting, and with LLM_PROVIDER once it is reset to null", async () => {
      const set = (value: unknown) =>
        api(server, 'PATCH', '/api/system/settings/llm_provider/', { value }, bearer(admin.access));
      fake.set({ tokens: ['From', ' the', ' endpoint', '.'] });
      try {
        expect((await set('openai')).status).toBe(200);
        const asked = fake.requests.length;
        const viaSetting = await stream(member, {
          message: 'How long is the refund period?',
          workspace_slug: handbook.slug,
        });
        expect(answerOf(viaSetting.frames)).toBe('From the endpoint.');
        expect(fake.requests.length).toBe(asked + 1);
        expect(
          (await api(server, 'GET', '/api/system/status/', undefined, bearer(admin.access))).body.settings.llm_provider,
        ).toBe('openai');
      } finally {
        expect((await set(null)).status).toBe(200);
        fake.set({ tokens: ['Hello', ',', ' world', '!'] });
      }
      const asked = fake.requests.length;
      const viaServer = await stream(member, {
        message: 'When do orders leave the warehouse?',
        workspace_slug: handbook.slug,
      });
      expect(answerOf(viaServer.frames)).toContain('shipping.md'); // the extractive answerer, LLM_PROVIDER's default here
      expect(fake.requests.length).toBe(asked);
      expect(
        (await api(server, 'GET', '/api/system/status/', undefined, bearer(admin.access))).body.settings.llm_provider,
      ).toBe('extractive');
    });

    it("keeps a thread's history to itself", async () => {
      const thread = (
        await api(server, 'POST', `/api/workspaces/${bot.slug}/threads/`, { name: 'Returns' }, bearer(member.access))
      ).body;
      const res = await stream(member, {
        message: 'Is shipping free?',
        workspace_slug: bot.slug,
        thread_id: thread.id,
      });
      expect(res.frames.at(-1).type).toBe('complete');
      // A fresh thread: only the system prompt and the message, no default-conversation history.
      expect(fake.requests.at(-1)!.body.messages.slice(1)).toEqual([{ role: 'user', content: 'Is shipping free?' }]);
      const history = await api(
        server,
        'GET',
        `/api/chats/history/?workspace_id=${bot.id}&thread_id=${thread.id}`,
        undefined,
        bearer(member.access),
      );
      expect(history.body.map((c: any) => c.prompt)).toEqual(['Is shipping free?']);
      expect(history.body[0].thread).toBe(thread.id);
    });

    it('turns a provider failure into a clean error frame, records ChatFailed, and keeps serving', async () => {
      fake.set({ status: 500, errorMessage: 'upstream exploded at /srv/model/server.py:12' });
      const before = await server.head();
      const res = await stream(member, { message: 'What is the refund period?', workspace_slug: bot.slug });
      expect(res.status).toBe(200);
      expect(res.frames[0].type).toBe('start');
      const error = res.frames.at(-1);
      expect(error).toEqual({ id: res.frames[0].id, type: 'error', error: expect.any(String) });
      expect(error.error).not.toMatch(STACK);
      expect(error.error).not.toContain('sk-test-not-real');
      expect(
        (await appendedSince(server, before)).filter((e) => e.startsWith('chat-')).map((e) => e.split(':')[1]),
      ).toEqual(['ChatRequested', 'ChatFailed']);

      fake.set({ status: null });
      const again = await stream(member, { message: 'What is the refund period?', workspace_slug: bot.slug });
      expect(again.frames.at(-1).type).toBe('complete');
      expect(answerOf(again.frames)).toBe('Hello, world!');
    });

    it('cancels the model call when the client disconnects', async () => {
      fake.set({ stallAfter: 2, tokens: ['one ', 'two ', 'three ', 'four'] });
      const asked = fake.requests.length;
      const controller = new AbortController();
      const res = await stream(
        member,
        { message: 'Tell me about refunds', workspace_slug: bot.slug },
        {
          signal: controller.signal,
          onFrame: (_f, frames) => {
            if (frames.filter((x) => x.type === 'stream').length === 2) controller.abort();
          },
        },
      );
      expect(answerOf(res.frames)).toBe('one two ');
      const upstream = fake.requests[asked];
      await upstream.finished;
      expect(upstream.aborted).toBe(true);
      fake.set({ stallAfter: null, tokens: ['Hello', ',', ' world', '!'] });
      // The chat is recorded as failed (cancelled), not completed with half an answer.
      const chatId = await waitForChatEnd(server, 'ChatFailed');
      expect(chatId).toBeGreaterThan(0);
      const ok = await stream(member, { message: 'Still there?', workspace_slug: bot.slug });
      expect(ok.frames.at(-1).type).toBe('complete');
    });
  });

  describe('refusals before streaming: plain JSON, nothing appended', () => {
    it('validates input', async () => {
      const res = await expectAppendsNothing(server, () =>
        stream(member, { workspace_slug: handbook.slug, mode: 'poetry' }),
      );
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: 'Validation failed.',
        field_errors: { message: ['This field is required.'], mode: [expect.any(String)] },
      });
    });

    it('needs credentials', async () => {
      const res = await expectAppendsNothing(server, () =>
        postSse(`${server.url}/api/chats/stream_chat/`, { message: 'hi', workspace_slug: handbook.slug }, {}),
      );
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ detail: 'Authentication credentials were not provided.' });
    });

    it('hides workspaces from non-members (404), and threads of other workspaces (400)', async () => {
      const res = await expectAppendsNothing(server, () =>
        stream(outsider, { message: 'hi', workspace_slug: handbook.slug }),
      );
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: 'Not found.' });
      const thread = (
        await api(server, 'POST', `/api/workspaces/${bot.slug}/threads/`, { name: 'Elsewhere' }, bearer(member.access))
      ).body;
      const wrong = await expectAppendsNothing(server, () =>
        stream(member, { message: 'hi', workspace_slug: handbook.slug, thread_id: thread.id }),
      );
      expect(wrong.status).toBe(400);
      expect(wrong.body.field_errors).toHaveProperty('thread_id');
      expect(
        (
          await api(
            server,
            'GET',
            `/api/chats/history/?workspace_id=${handbook.id}`,
            undefined,
            bearer(outsider.access),
          )
        ).status,
      ).toBe(404);
    });
  });

  describe('daily message limit', () => {
    it('answers 429 with the limit once a user has used it up, appending nothing', async () => {
      const capped = await registerAndLogin(server, 'chat_capped');
      await api(
        server,
        'POST',
        `/api/workspaces/${handbook.slug}/add_user/`,
        { user_id: capped.user.id },
        bearer(admin.access),
      );
      expect(
        (await api(server, 'PATCH', `/api/users/${capped.user.id}/`, { daily_message_limit: 2 }, bearer(admin.access)))
          .status,
      ).toBe(200);
      for (let i = 0; i < 2; i++)
        expect(
          (await stream(capped, { message: `refund ${i}`, workspace_slug: handbook.slug })).frames.at(-1).type,
        ).toBe('complete');
      const refused = await expectAppendsNothing(server, () =>
        stream(capped, { message: 'one more', workspace_slug: handbook.slug }),
      );
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ error: 'You have reached your daily chat limit of 2' });
    });

    it('holds under concurrent requests: exactly the limit gets through', async () => {
      const racer = await registerAndLogin(server, 'chat_racer');
      await api(
        server,
        'POST',
        `/api/workspaces/${handbook.slug}/add_user/`,
        { user_id: racer.user.id },
        bearer(admin.access),
      );
      await api(server, 'PATCH', `/api/users/${racer.user.id}/`, { daily_message_limit: 3 }, bearer(admin.access));
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          stream(racer, { message: `shipping ${i}`, workspace_slug: handbook.slug }),
        ),
      );
      expect(results.filter((r) => r.status === 200 && r.frames.at(-1).type === 'complete')).toHaveLength(3);
      const refused = results.filter((r) => r.status === 429);
      expect(refused).toHaveLength(7);
      for (const r of refused) expect(r.body).toEqual({ error: 'You have reached your daily chat limit of 3' });
    });

    it('does not limit admins', async () => {
      const adminId = admin.user.id;
      // An admin cannot be given a limit that binds: even with one set, chats go through.
      await api(server, 'PATCH', `/api/users/${adminId}/`, { daily_message_limit: 1 }, bearer(admin.access));
      for (let i = 0; i < 3; i++)
        expect((await stream(admin, { message: `refund ${i}`, workspace_slug: handbook.slug })).status).toBe(200);
    });
  });

  describe('history, list, feedback, search, export', () => {
    let chatId: number;

    beforeAll(async () => {
      const res = await stream(member, {
        message: 'Can I return an opened item for a refund?',
        workspace_slug: handbook.slug,
      });
      chatId = res.frames.at(-1).chat_id;
    });

    it('pages history with limit and offset', async () => {
      const page = await api(
        server,
        'GET',
        `/api/chats/history/?workspace_id=${handbook.id}&limit=2&offset=1`,
        undefined,
        bearer(member.access),
      );
      expect(page.status).toBe(200);
      expect(page.body).toEqual({
        count: expect.any(Number),
        next: expect.any(String),
        previous: expect.stringContaining('limit=2'),
        results: expect.any(Array),
      });
      expect(page.body.results).toHaveLength(2);
      expect(
        (await api(server, 'GET', '/api/chats/history/', undefined, bearer(member.access))).body.field_errors,
      ).toHaveProperty('workspace_id');
    });

    it('lists chats with Django lookups, and shows each user only the workspaces they belong to', async () => {
      const since = new Date(Date.now() - 60_000).toISOString();
      const mine = await api(
        server,
        'GET',
        `/api/chats/?workspace_id=${handbook.id}&created_at__gte=${encodeURIComponent(since)}&user_id=${member.user.id}`,
        undefined,
        bearer(member.access),
      );
      expect(mine.status).toBe(200);
      expect(mine.body.length).toBeGreaterThan(0);
      expect(mine.body.every((c: any) => c.workspace === handbook.id && c.user === member.user.id)).toBe(true);
      const future = await api(
        server,
        'GET',
        `/api/chats/?created_at__gte=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`,
        undefined,
        bearer(member.access),
      );
      expect(future.body).toEqual([]);
      expect((await api(server, 'GET', '/api/chats/', undefined, bearer(outsider.access))).body).toEqual([]);
      expect((await api(server, 'GET', `/api/chats/${chatId}/`, undefined, bearer(outsider.access))).status).toBe(404);
      const bad = await api(
        server,
        'GET',
        '/api/chats/?created_at__gte=yesterday-ish',
        undefined,
        bearer(member.access),
      );
      expect(bad.status).toBe(400);
    });

    it('takes feedback from the author and from admins, not from other members', async () => {
      const other = await registerAndLogin(server, 'chat_other');
      await api(
        server,
        'POST',
        `/api/workspaces/${handbook.slug}/add_user/`,
        { user_id: other.user.id },
        bearer(admin.access),
      );
      const refused = await expectAppendsNothing(server, () =>
        api(server, 'POST', '/api/chats/feedback/', { chat_id: chatId, feedback: false }, bearer(other.access)),
      );
      expect(refused.status).toBe(403);
      const hidden = await expectAppendsNothing(server, () =>
        api(server, 'POST', '/api/chats/feedback/', { chat_id: chatId, feedback: false }, bearer(outsider.access)),
      );
      expect(hidden.status).toBe(404);
      const own = await api(
        server,
        'POST',
        '/api/chats/feedback/',
        { chat_id: chatId, feedback: true, comment: 'Very helpful response!' },
        bearer(member.access),
      );
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({ id: chatId, feedback: true, comment: 'Very helpful response!' });
      const byAdmin = await api(
        server,
        'POST',
        '/api/chats/feedback/',
        { chat_id: chatId, feedback: false },
        bearer(admin.access),
      );
      expect(byAdmin.body).toMatchObject({ id: chatId, feedback: false, comment: null });
      const invalid = await expectAppendsNothing(server, () =>
        api(server, 'POST', '/api/chats/feedback/', { chat_id: chatId }, bearer(member.access)),
      );
      expect(invalid.status).toBe(400);
      expect(invalid.body.field_errors).toHaveProperty('feedback');
    });

    it('searches in the prompt, the response, or both', async () => {
      const inPrompt = await api(
        server,
        'GET',
        `/api/chats/search/?query=opened&workspace_id=${handbook.id}&search_in=prompt`,
        undefined,
        bearer(member.access),
      );
      expect(inPrompt.status).toBe(200);
      expect(inPrompt.body.map((c: any) => c.id)).toContain(chatId);
      const inResponse = await api(
        server,
        'GET',
        `/api/chats/search/?query=opened&workspace_id=${handbook.id}&search_in=response`,
        undefined,
        bearer(member.access),
      );
      expect(inResponse.body.map((c: any) => c.id)).not.toContain(chatId);
      const both = await api(
        server,
        'GET',
        `/api/chats/search/?query=Rotterdam&workspace_id=${handbook.id}&search_in=prompt,response`,
        undefined,
        bearer(member.access),
      );
      expect(both.body.length).toBeGreaterThan(0);
      expect(both.body.every((c: any) => `${c.prompt} ${c.response}`.includes('Rotterdam'))).toBe(true);
      expect(
        (await api(server, 'GET', '/api/chats/search/?query=refund', undefined, bearer(outsider.access))).body,
      ).toEqual([]);
      expect((await api(server, 'GET', '/api/chats/search/', undefined, bearer(member.access))).status).toBe(400);
    });

    it('exports a period as a download in json, csv, txt and pdf', async () => {
      const period = {
        workspace_id: handbook.id,
        date_from: new Date(Date.now() - 3600_000).toISOString(),
        date_to: new Date(Date.now() + 60_000).toISOString(),
      };
      const download = async (format: string) => {
        const res = await fetch(`${server.url}/api/chats/export/`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...bearer(member.access) },
          body: JSON.stringify({ ...period, format }),
        });
        return {
          status: res.status,
          type: res.headers.get('content-type'),
          disposition: res.headers.get('content-disposition'),
          body: Buffer.from(await res.arrayBuffer()),
        };
      };
      const json = await download('json');
      expect(json.status).toBe(200);
      expect(json.type).toMatch(/^application\/json/);
      expect(json.disposition).toMatch(/^attachment; filename="chats-workspace-\d+_.*\.json"$/);
      const chats = JSON.parse(json.body.toString());
      expect(chats.find((c: any) => c.id === chatId)).toMatchObject({
        prompt: 'Can I return an opened item for a refund?',
        workspace: handbook.id,
      });

      const csv = await download('csv');
      expect(csv.type).toMatch(/^text\/csv/);
      expect(csv.disposition).toMatch(/^attachment; .*\.csv"$/);
      const lines = csv.body.toString().trim().split('\r\n');
      expect(lines[0]).toBe('id,workspace,thread,user,mode,created_at,prompt,response,feedback,comment,sources');
      expect(lines.some((l) => l.startsWith(`${chatId},`))).toBe(true);

      const txt = await download('txt');
      expect(txt.type).toMatch(/^text\/plain/);
      expect(txt.body.toString()).toContain('Q: Can I return an opened item for a refund?');

      const pdf = await download('pdf');
      expect(pdf.type).toBe('application/pdf');
      expect(pdf.disposition).toMatch(/\.pdf"$/);
      expect(pdf.body.subarray(0, 5).toString()).toBe('%PDF-');

      const empty = await fetch(`${server.url}/api/chats/export/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...bearer(member.access) },
        body: JSON.stringify({ workspace_id: handbook.id, format: 'json', date_to: '2001-01-01' }),
      });
      expect(await empty.json()).toEqual([]);
      const bad = await api(server, 'POST', '/api/chats/export/', { format: 'docx' }, bearer(member.access));
      expect(bad.status).toBe(400);
      expect(bad.body.field_errors).toHaveProperty('format');
      expect(
        (await api(server, 'POST', '/api/chats/export/', { workspace_id: handbook.id }, bearer(outsider.access)))
          .status,
      ).toBe(404);
    });
  });
});

/** Waits until the newest chat-* event is of `type`, and answers its chat id. */
async function waitForChatEnd(server: TestServer, type: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const events = (await server.deps.store.readAll({})).filter((e) => e.streamName.startsWith('chat-'));
    const last = events.at(-1);
    if (last?.type === type) return last.data.chatId;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no ${type}`);
}
