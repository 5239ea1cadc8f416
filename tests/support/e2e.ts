/**
 * Helpers for the end-to-end suites (tests/e2e). They only observe a running server through its
 * public surface (HTTP, the outbox directory) and its event store; they change nothing in it.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { api, type TestServer } from './server.js';

export { uniqueName } from './server.js';

/** `stream:type` of every event appended after `position`: an empty list means nothing was written. */
export async function appendedSince(server: TestServer, position: number): Promise<string[]> {
  const events = await server.deps.store.readAll({ after: position });
  return events.map((e) => `${e.streamName}:${e.type}`);
}

/**
 * Runs `request` and asserts it appended no event: the event list after the head it saw first is empty
 * (shown by stream and type when it is not) and the head did not move.
 */
export async function expectAppendsNothing<T>(server: TestServer, request: () => Promise<T>): Promise<T> {
  const before = await server.head();
  const result = await request();
  expect(await appendedSince(server, before)).toEqual([]);
  expect(await server.head()).toBe(before);
  return result;
}

const STACK_TRACE = /\bat\s+\S*?[/\\][^\s:()]+\.(?:[cm]?[jt]s)(?::\d+)?/;

/** Wraps `api` so every response body of a suite can be checked for leaks at its end. */
export function recordingApi(server: { url: string }) {
  const bodies: { request: string; status: number; text: string }[] = [];
  async function call(method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await api(server, method, urlPath, body, headers);
    bodies.push({
      request: `${method} ${urlPath}`,
      status: res.status,
      text: typeof res.body === 'string' ? res.body : JSON.stringify(res.body),
    });
    return res;
  }
  /** Responses that show a stack trace, a password hash or an internal error. */
  function leaks() {
    return bodies
      .filter(
        (b) =>
          STACK_TRACE.test(b.text) ||
          b.text.includes('$argon2') ||
          /passwordHash|password_hash/i.test(b.text) ||
          b.status >= 500,
      )
      .map((b) => `${b.request} → ${b.status} ${b.text.slice(0, 300)}`);
  }
  return { call, bodies, leaks };
}

/** Tokens of every reset mail in the outbox addressed to `email` (mail body line `token: ...`). */
export async function resetTokensIn(outbox: string, email: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(outbox)).filter((n) => n.endsWith('.eml')).sort();
  } catch {
    return [];
  }
  const tokens: string[] = [];
  for (const name of names) {
    const text = await readFile(path.join(outbox, name), 'utf8');
    const to = /^To: (.*)$/m.exec(text)?.[1]?.trim();
    const token = /^token: (\S+)\s*$/m.exec(text)?.[1];
    if (to?.toLowerCase() === email.toLowerCase() && token) tokens.push(token);
  }
  return tokens;
}

/**
 * Polls `<dataDir>/outbox` until a reset mail to `email` holds a token not in `known`, and answers it.
 * The mail is sent by a reactor after the request answered, so it may take a moment to appear.
 */
export async function waitForNewResetToken(
  dataDir: string,
  email: string,
  known: readonly string[] = [],
  timeoutMs = 10_000,
): Promise<string> {
  const outbox = path.join(dataDir, 'outbox');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const fresh = (await resetTokensIn(outbox, email)).filter((t) => !known.includes(t));
    if (fresh.length) return fresh[fresh.length - 1];
    if (Date.now() > deadline) throw new Error(`no new reset mail for ${email} in ${outbox} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
