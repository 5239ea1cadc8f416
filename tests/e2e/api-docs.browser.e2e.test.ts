import type { BrowserContext } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Swagger UI at /api/docs/ in a real browser (Debian's headless Chromium via playwright-core), offline:
 * any request to another host is blocked and recorded, and the page must still render the API's
 * operations under helmet's headers and the page's own CSP, with no script error or CSP violation.
 */

let server: TestServer;
let context: BrowserContext;
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchChromium();
  context = browser.context;
}, 90_000);

/** Re-reads until the value settles on `expected` or the time is up; answers the last value read. */
async function settle<T>(read: () => Promise<T>, expected: T, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  let value = await read();
  while (value !== expected && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/**
 * Opens a page offline: only this server answers, anything else is refused and remembered, and
 * script errors, failed requests and CSP violations are collected.
 */
async function visit(url: string) {
  const problems = { offsite: [] as string[], failed: [] as string[], errors: [] as string[] };
  const page = await context.newPage();
  await page.route('**/*', (route) => {
    const target = route.request().url();
    if (target.startsWith(`${server.url}/`)) return route.continue();
    problems.offsite.push(target);
    return route.abort('internetdisconnected');
  });
  page.on('pageerror', (err) => problems.errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.errors.push(`console: ${msg.text()}`);
  });
  page.on('requestfailed', (req) => problems.failed.push(req.url()));
  // In the page: report CSP violations where the console listener sees them.
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => {
    console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI);
  });`);
  const res = await page.goto(url);
  expect(res?.status()).toBe(200);
  return { page, problems };
}

describe('Swagger UI at /api/docs/ in Chromium', () => {
  it('renders every operation of the document from this server alone, with no error or CSP violation', async () => {
    const { page, problems } = await visit(`${server.url}/api/docs/`);
    await page.locator('.opblock').first().waitFor({ timeout: 20_000 });

    const doc = (await (await fetch(`${server.url}/api/schema/`)).json()) as {
      info: { title: string };
      paths: Record<string, object>;
    };
    const operationCount = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    expect(await settle(() => page.locator('.opblock').count(), operationCount)).toBe(operationCount);
    expect(await page.locator('.info .title').innerText()).toContain(doc.info.title);
    const shown = (await page.locator('.opblock-summary-path').allInnerTexts()).map((p) =>
      p.replace(/\u200b/g, '').trim(),
    );
    expect(shown).toEqual(
      expect.arrayContaining(['/api/auth/login/', '/api/workspaces/{slug}/threads/{id}/', '/api/chats/stream_chat/']),
    );
    // The Authorize button: the bearer schemes were understood.
    expect(await page.locator('button.authorize').count()).toBe(1);

    expect(problems).toEqual({ offsite: [], failed: [], errors: [] });
    await page.close();
  }, 60_000);

  it('opens an operation from a deep link and shows its request body and error responses', async () => {
    const { page, problems } = await visit(`${server.url}/api/docs/#/Workspaces/createWorkspace`);
    const op = page.locator('#operations-Workspaces-createWorkspace');
    await op.locator('.opblock-body').waitFor({ timeout: 20_000 });
    const text = await op.innerText();
    expect(text).toContain('Request body');
    for (const status of ['201', '400', '401', '403', '429', '500']) expect(text).toContain(status);
    expect(problems).toEqual({ offsite: [], failed: [], errors: [] });
    await page.close();
  }, 60_000);

  it('calls the API from "Try it out" (same origin, under the page CSP) and shows the answer', async () => {
    const { page, problems } = await visit(`${server.url}/api/docs/#/System/setupComplete`);
    const op = page.locator('#operations-System-setupComplete');
    await op.locator('.opblock-body').waitFor({ timeout: 20_000 });
    await op.locator('button.try-out__btn').click();
    await op.locator('button.execute').click();
    const answer = op.locator('.live-responses-table tbody .response-col_status').first();
    await answer.waitFor({ timeout: 20_000 });
    expect((await answer.innerText()).trim()).toBe('200');
    expect(await op.locator('.live-responses-table tbody .response-col_description').first().innerText()).toContain(
      '"setup_complete"',
    );
    expect(problems).toEqual({ offsite: [], failed: [], errors: [] });
    await page.close();
  }, 60_000);
});
