import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { appendedSince } from '../support/e2e.js';
import { uploadReadyDocument } from '../support/documents.js';
import { createEmbed, createWorkspace, embedCode, type EmbedOwner, registerAdmin } from '../support/embed.js';
import { launchChromium } from '../support/chromium.js';
import { api, startTestServer, type TestServer } from '../support/server.js';

/**
 * The embed widget in a real browser (Debian's headless Chromium driven by playwright-core): a shop's
 * page on an allowed origin pastes the embed code, a visitor asks in the bubble and reads the answer
 * from the workspace's documents; a page on another origin is refused and shown no answer.
 */
const HANDBOOK =
  'Returns and refunds. Customers may return any unused item within 45 days of delivery for a full refund. ' +
  'Gift cards cannot be refunded. Shipping is free for orders over 60 euros.';

/** A tiny web site on its own port (= its own origin), serving the pages given to it. */
async function startSite() {
  const pages = new Map<string, string>();
  const server = http.createServer((req, res) => {
    const html = pages.get(new URL(req.url ?? '/', 'http://x').pathname);
    res.writeHead(html ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    origin: `http://127.0.0.1:${port}`,
    /** Serves a shop page with the snippet pasted into its body; answers its URL. */
    page(pathname: string, snippet: string) {
      pages.set(
        pathname,
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>` +
          `<body><h1>Our shop</h1><p>Welcome.</p>${snippet}</body></html>`,
      );
      return `http://127.0.0.1:${port}${pathname}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let server: TestServer;
let owner: EmbedOwner;
let workspaceId: number;
let shop: Awaited<ReturnType<typeof startSite>>;
let stranger: Awaited<ReturnType<typeof startSite>>;
let context: BrowserContext;
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

beforeAll(async () => {
  server = await startTestServer();
  owner = await registerAdmin(server);
  workspaceId = (await createWorkspace(server, owner)).id;
  await uploadReadyDocument(server, owner.access, workspaceId, 'returns-policy.txt', HANDBOOK);
  shop = await startSite();
  stranger = await startSite();
  browser = await launchChromium();
  context = browser.context;
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await shop?.close();
  await stranger?.close();
  await server?.close();
});

/** Opens a page and collects its uncaught script errors. */
async function visit(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(url);
  return { page, errors };
}

/** What a visitor does: open the bubble, type the question, press Enter. */
async function ask(page: Page, question: string) {
  const bubble = page.getByRole('button', { name: 'Open chat' });
  if (await bubble.count()) await bubble.click();
  const box = page.getByRole('textbox', { name: 'Your message' });
  await box.fill(question);
  await box.press('Enter');
}

/** Waits until one of the elements shows `text`, and answers that element's whole text. */
async function shown(locator: Locator, text: string, timeout = 20_000): Promise<string> {
  const match = locator.filter({ hasText: text }).first();
  try {
    await match.waitFor({ timeout });
  } catch (err) {
    // Say what the bubble did show, not only that the text never came.
    const bubble = await locator
      .page()
      .locator('[data-chronicle-chat] .log')
      .allTextContents()
      .catch(() => []);
    throw new Error(`"${text}" not shown within ${timeout} ms; the chat shows: ${JSON.stringify(bubble)}`, {
      cause: err,
    });
  }
  return (await match.textContent()) ?? '';
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const answers = (page: Page) => page.locator('[data-chronicle-chat] .msg.assistant');
const alerts = (page: Page) => page.locator('[data-chronicle-chat] .msg.error');

async function shopPageFor(pathname: string, body: Parameters<typeof createEmbed>[2]) {
  const config = await createEmbed(server, owner, body);
  const snippet = await embedCode(server, owner, config.uuid);
  expect(snippet).toContain(`data-embed-id="${config.uuid}"`);
  return { config, snippet };
}

it('on an allowed site, a visitor asks in the bubble and reads the answer from the workspace documents', async () => {
  const { config, snippet } = await shopPageFor('/', {
    workspace: workspaceId,
    chat_mode: 'query',
    allowlist_domains: shop.host,
  });
  const { page, errors } = await visit(shop.page('/', snippet));

  await ask(page, 'Can I return an unused item for a full refund?');
  await shown(answers(page), 'within 45 days of delivery', 20_000);
  expect(await alerts(page).count()).toBe(0);
  expect(errors).toEqual([]);

  // The session lives in localStorage, and the server's history of that session holds the exchange.
  const sessionId = await page.evaluate(
    (uuid) => (globalThis as any).localStorage.getItem(`chronicle-chat-session:${uuid}`),
    config.uuid,
  );
  expect(sessionId).toMatch(UUID_V4);
  const history = await api(server, 'GET', `/api/embed/${config.uuid}/${sessionId}/`, undefined, {
    Origin: shop.origin,
  });
  expect(history.body.map((c: any) => c.prompt)).toEqual(['Can I return an unused item for a full refund?']);

  // Coming back later, the same session shows its earlier exchange.
  await page.reload();
  await page.getByRole('button', { name: 'Open chat' }).click();
  await shown(answers(page), '45 days', 10_000);
  await page.close();
}, 60_000);

it('a browser holding a session id it did not draw (an older widget\'s "visitor-1") gets a random one and chats on', async () => {
  const { config, snippet } = await shopPageFor('/returning', {
    workspace: workspaceId,
    chat_mode: 'query',
    allowlist_domains: shop.host,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.addInitScript(
    (key) => (globalThis as any).localStorage.setItem(key, 'visitor-1'),
    `chronicle-chat-session:${config.uuid}`,
  );
  await page.goto(shop.page('/returning', snippet));

  await ask(page, 'Can I return an unused item for a full refund?');
  await shown(answers(page), 'within 45 days of delivery', 20_000);
  expect(errors).toEqual([]);
  const sessionId = await page.evaluate(
    (uuid) => (globalThis as any).localStorage.getItem(`chronicle-chat-session:${uuid}`),
    config.uuid,
  );
  expect(sessionId).toMatch(UUID_V4);
  await page.close();
}, 60_000);

it('on another site, the widget shows the refusal and no answer, and nothing is recorded', async () => {
  const { snippet } = await shopPageFor('/elsewhere', {
    workspace: workspaceId,
    chat_mode: 'query',
    allowlist_domains: shop.host,
  });
  const { page } = await visit(stranger.page('/elsewhere', snippet));
  const before = await server.head();

  await ask(page, 'Can I return an unused item for a full refund?');
  await shown(alerts(page), 'not be allowed', 10_000);
  expect(await answers(page).count()).toBe(0);
  expect(await page.locator('[data-chronicle-chat]').evaluate((el) => el.shadowRoot!.textContent)).not.toContain(
    '45 days',
  );
  expect(await appendedSince(server, before)).toEqual([]);
  await page.close();
}, 60_000);

it('over the daily limit, the visitor reads the limit in the bubble', async () => {
  const { snippet } = await shopPageFor('/limited', {
    workspace: workspaceId,
    chat_mode: 'query',
    allowlist_domains: shop.host,
    max_chats_per_day: 1,
  });
  const { page } = await visit(shop.page('/limited', snippet));

  await ask(page, 'Can gift cards be refunded?');
  await shown(answers(page), 'Gift cards', 20_000);
  await ask(page, 'Is shipping free?');
  expect(await shown(alerts(page), 'daily chat limit', 10_000)).toBe('You have reached your daily chat limit of 1');
  expect(await answers(page).count()).toBe(1);
  await page.close();
}, 60_000);
