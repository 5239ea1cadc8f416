/**
 * One request must not be able to freeze the server. Each abuse below is sent over real HTTP (or
 * graphql-ws) while /healthz is polled; the test asserts the abuse was refused or bounded (status,
 * error code, answer size) and logs how /healthz answered meanwhile. No timing is asserted.
 */
import { performance } from 'node:perf_hooks';
import { uniqueName } from '../support/e2e.js';
import { connectGraphqlWs, execute, type GraphqlResult } from '../support/graphql-ws.js';
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';
import { postSse } from '../support/sse.js';

let server: TestServer;
let admin: string;
let member: string;
let workspaceId: number;
let slug: string;

/** A prompt of about `size` characters (words, so the PDF can wrap it). */
const longPrompt = (size: number) => 'ask about the refund policy '.repeat(Math.ceil(size / 28)).slice(0, size);

async function sendChat(token: string, message: string) {
  const res = await postSse(`${server.url}/api/chats/stream_chat/`, { message, workspace_slug: slug }, bearer(token));
  expect(res.frames.at(-1)?.type).toBe('complete');
}

beforeAll(async () => {
  server = await startTestServer();
  admin = (await registerAndLogin(server, uniqueName('admin'))).access;
  const user = await registerAndLogin(server, uniqueName('member'));
  member = user.access;
  const ws = (await api(server, 'POST', '/api/workspaces/', { name: uniqueName('Abuse') }, bearer(admin))).body;
  workspaceId = ws.id;
  slug = ws.slug;
  await api(server, 'POST', `/api/workspaces/${slug}/add_user/`, { user_id: user.user.id }, bearer(admin));
  // Three long chats: 270,000 characters of prompts, within what one PDF export renders.
  for (let i = 0; i < 3; i++) await sendChat(member, longPrompt(90_000));
}, 60_000);

afterAll(async () => {
  await server?.close();
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Runs `abuse` while /healthz is asked again and again; logs how it answered. */
async function healthzDuring<T>(label: string, abuse: () => Promise<T>): Promise<T> {
  const latencies: number[] = [];
  let done = false;
  const running = abuse().finally(() => {
    done = true;
  });
  const polling = (async () => {
    while (!done) {
      const started = performance.now();
      const res = await fetch(`${server.url}/healthz`);
      await res.arrayBuffer();
      latencies.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const result = await running;
  await polling;
  const max = latencies.length ? Math.max(...latencies) : NaN;
  console.log(
    `${label}: /healthz answered ${latencies.length}x during it, median ${median(latencies).toFixed(1)} ms, max ${max.toFixed(1)} ms`,
  );
  return result;
}

/** POST /graphql answering status, parsed body and the answer's size in bytes. */
async function gql(query: string, token?: string, variables?: Record<string, unknown>) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? bearer(token) : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), bytes: Buffer.byteLength(text) };
}

const aliases = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

describe('GraphQL requests that would cost the server seconds', () => {
  it('refuses 1,000 aliases of exportChats(format: "pdf") before running any (query too large)', async () => {
    const res = await healthzDuring('1,000 pdf export aliases', () =>
      gql(aliases(1000, 'exportChats(format: "pdf") { content }'), member),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('QUERY_TOO_LARGE');
    expect(res.bytes).toBeLessThan(1000);
  });

  it('refuses 100, or even 2, aliases of exportChats as too complex, with a 400', async () => {
    for (const n of [100, 2]) {
      const res = await healthzDuring(`${n} pdf export aliases`, () =>
        gql(aliases(n, 'exportChats(format: "pdf") { content }'), member),
      );
      expect(res.status).toBe(400);
      expect(res.body.data ?? null).toBeNull();
      expect(res.body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
      expect(res.bytes).toBeLessThan(1000);
    }
  });

  it('counts a search as a scan, whatever page it asks for: 50 aliased one-row searches are too complex', async () => {
    const res = await gql(aliases(50, 'searchChats(query: "refund", limit: 1) { id }'), member);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('refuses an anonymous 0.9 MB query of 90,000 repeated fields without parsing it', async () => {
    const query = `{ ${'me { id } '.repeat(90_000)}}`;
    expect(query.length).toBeGreaterThan(900_000);
    const res = await healthzDuring('0.9 MB query', () => gql(query));
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { message: expect.stringMatching(/^Query is too large/), extensions: { code: 'QUERY_TOO_LARGE' } },
    ]);
    expect(res.bytes).toBeLessThan(1000);
  });

  it('stops parsing a short query of too many tokens', async () => {
    const query = `{ ${'me '.repeat(6000)}}`;
    const res = await healthzDuring('6,000-token query', () => gql(query));
    expect(res.status).toBe(400);
    expect(res.body.errors[0].message).toMatch(/more tha\w* 4000 tokens/);
  });

  it.each([
    ['900 repeated fields', `{ ${'me { id } '.repeat(900)}}`],
    ['600 aliases', aliases(600, 'me { id }')],
    // Ten fragments, each spreading the next ten times: 10^9 fields once expanded, in 700 characters.
    [
      'fragment fan-out',
      `{ ...F0 } ${Array.from({ length: 9 }, (_, i) => `fragment F${i} on Query { ${`...F${i + 1} `.repeat(10)}}`).join(' ')} fragment F9 on Query { me { id } }`,
    ],
  ])('refuses a short query selecting too many fields (%s) before validating it', async (label, query) => {
    const res = await healthzDuring(label, () => gql(query));
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { message: expect.stringMatching(/^Query is too large: \d+ fields/), extensions: { code: 'QUERY_TOO_LARGE' } },
    ]);
    expect(res.bytes).toBeLessThan(1000);
  });

  it('answers the largest query the limits let through, bounded', async () => {
    const query = aliases(120, 'me { id }');
    const res = await healthzDuring('120 aliases of me', () => gql(query, member));
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.data)).toHaveLength(120);
    expect(res.bytes).toBeLessThan(10_000);
  });
});

describe('exports', () => {
  const EXPORT = (format: string) =>
    `{ exportChats(format: "${format}", workspaceId: "${workspaceId}") { filename encoding content } }`;

  it('renders a PDF within the budget while the server keeps answering', async () => {
    const res = await healthzDuring('pdf export of 270,000 characters', () => gql(EXPORT('pdf'), member));
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    const pdf = Buffer.from(res.body.data.exportChats.content, 'base64');
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(res.bytes).toBeLessThan(2_000_000);
  });

  it('refuses a PDF past the budget, over GraphQL and REST, and still exports it as JSON', async () => {
    await sendChat(member, longPrompt(90_000));
    const refused = await healthzDuring('pdf export past the budget', () => gql(EXPORT('pdf'), member));
    expect(refused.body.errors[0].extensions).toEqual({
      code: 'BAD_USER_INPUT',
      fieldErrors: { nonFieldErrors: [expect.stringMatching(/a pdf export holds at most 300000/)] },
    });
    expect(refused.bytes).toBeLessThan(1000);

    const rest = await api(
      server,
      'POST',
      '/api/chats/export/',
      { format: 'pdf', workspace_id: workspaceId },
      bearer(member),
    );
    expect(rest.status).toBe(400);
    expect(rest.body).toEqual({
      error: 'Validation failed.',
      field_errors: { non_field_errors: [expect.stringMatching(/Choose a shorter period/)] },
    });

    const json = await gql(EXPORT('json'), member);
    expect(json.status).toBe(200);
    expect(JSON.parse(json.body.data.exportChats.content)).toHaveLength(4);
  });
});

describe('malformed GraphQL', () => {
  const CYCLE = 'query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }';

  it('answers a fragment cycle with a 400 naming it, even without a token', async () => {
    for (const token of [undefined, member]) {
      const res = await gql(CYCLE, token);
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({
        message: expect.stringMatching(/Cannot spread fragment "A" within itself/),
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      });
    }
  });

  it('answers a spread of an unknown fragment with a 400', async () => {
    const res = await gql('{ ...Missing }');
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({
      message: 'Unknown fragment "Missing".',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  it('still refuses a query nested too deeply', async () => {
    // Nothing in the schema nests this deep; the depth rule reports it beside the unknown fields.
    const res = await gql(`{ ${'me { '.repeat(10)}id${' }'.repeat(10)} }`, member);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: any) => e.message)).toContain("'' exceeds maximum operation depth of 8");
  });

  it('answers a query refused for complexity with a 400', async () => {
    const res = await gql(
      '{ workspaces(limit: 1000) { threads { id name slug } users { id username email role } } }',
      member,
    );
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('refuses the same over graphql-ws, where the socket stays open for the next operation', async () => {
    const client = connectGraphqlWs(server, { token: member });
    // A refusal ends the operation, not the socket: the error is the answer.
    const run = (query: string) =>
      execute(client, query).catch((e: unknown) => ({ errors: Array.isArray(e) ? e : [e] }) as GraphqlResult);
    try {
      expect((await run(CYCLE)).errors?.[0].message).toMatch(/Cannot spread fragment "A" within itself/);
      expect((await run(`{ ${'me { id } '.repeat(3000)}}`)).errors?.[0].message).toMatch(/^Query is too large/);
      expect((await run(`{ ${'me '.repeat(6000)}}`)).errors?.[0].message).toMatch(/tokens/);
      expect((await run(aliases(2, 'exportChats(format: "pdf") { content }'))).errors?.[0].message).toMatch(
        /too complex/,
      );
      expect((await run('{ me { id } }')).data?.me.id).toBeDefined();
    } finally {
      await client.dispose();
    }
  });
});
