import vm from 'node:vm';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { explorerRouter, wantsExplorer } from '../../src/graphql/explorer.js';

// Real HTTP against an ephemeral port: the router plus a stand-in GraphQL
// handler behind it, to show non-browser requests fall through.
let server: Server;
let base: string;

beforeAll(async () => {
  const app = express();
  app.use(explorerRouter());
  app.all('/graphql', (_req, res) => {
    res.json({ data: { fellThrough: true } });
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
});

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

function referencedUrls(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)\s*=\s*"([^"]*)"/g)].map((m) => m[1]);
}

describe('GraphQL explorer', () => {
  it('given a browser GET of /graphql, then it answers the GraphiQL page', async () => {
    const res = await fetch(`${base}/graphql`, { headers: { Accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('id="graphiql"');
    expect(html).toContain('data-endpoint="/graphql"');
  });

  it('then every asset the page references is served, non-empty, from this host', async () => {
    const html = await (await fetch(`${base}/graphql`, { headers: { Accept: BROWSER_ACCEPT } })).text();
    const urls = referencedUrls(html);
    // react, react-dom, graphiql js + css, and the bootstrap script.
    expect(urls.length).toBeGreaterThanOrEqual(5);
    for (const url of urls) {
      expect(url.startsWith('/')).toBe(true);
      expect(url.startsWith('//')).toBe(false);
      const res = await fetch(new URL(url, base));
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
      expect(res.headers.get('content-type')).toMatch(url.endsWith('.css') ? /text\/css/ : /javascript/);
    }
  });

  it('then the page names no other host (no CDN)', async () => {
    const html = await (await fetch(`${base}/graphql`, { headers: { Accept: BROWSER_ACCEPT } })).text();
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/["'(]\/\//);
  });

  it('then the bootstrap script points GraphiQL at /graphql', async () => {
    const js = await (await fetch(`${base}/graphql/assets/explorer.js`)).text();
    expect(js).toContain('createFetcher');
    expect(js).toContain("getAttribute('data-endpoint')");
    expect(js).not.toMatch(/https?:\/\//i);
  });

  it('then the bootstrap script runs and renders GraphiQL with an HTTP and a WebSocket URL', async () => {
    // No browser in CI: run the script against stand-ins for the UMD globals.
    const js = await (await fetch(`${base}/graphql/assets/explorer.js`)).text();
    const calls: Record<string, unknown> = {};
    const el = { getAttribute: (name: string) => (name === 'data-endpoint' ? '/graphql' : null) };
    const GraphiQL = Object.assign(() => null, {
      createFetcher: (opts: unknown) => {
        calls.fetcherOptions = opts;
        return 'fetcher';
      },
    });
    vm.runInNewContext(js, {
      document: { getElementById: (id: string) => (id === 'graphiql' ? el : null) },
      location: { protocol: 'https:', host: 'chronicle.example:8443' },
      GraphiQL,
      React: { createElement: (type: unknown, props: unknown) => ({ type, props }) },
      ReactDOM: {
        createRoot: (root: unknown) => ({
          render: (node: unknown) => {
            calls.rendered = { root, node };
          },
        }),
      },
    });
    expect(calls.fetcherOptions).toEqual({ url: '/graphql', subscriptionUrl: 'wss://chronicle.example:8443/graphql' });
    expect(calls.rendered).toEqual({
      root: el,
      node: { type: GraphiQL, props: expect.objectContaining({ fetcher: 'fetcher' }) },
    });
  });

  it('given an API client GET or a POST, then the request falls through to GraphQL', async () => {
    const get = await fetch(`${base}/graphql?query=%7B__typename%7D`, { headers: { Accept: 'application/json' } });
    expect(await get.json()).toEqual({ data: { fellThrough: true } });
    const anyAccept = await fetch(`${base}/graphql`, { headers: { Accept: '*/*' } });
    expect(await anyAccept.json()).toEqual({ data: { fellThrough: true } });
    const post = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { Accept: BROWSER_ACCEPT, 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: '{__typename}' }),
    });
    expect(await post.json()).toEqual({ data: { fellThrough: true } });
  });

  it('given an unknown asset name or a path escape, then 404', async () => {
    expect((await fetch(`${base}/graphql/assets/package.json`)).status).toBe(404);
    expect((await fetch(`${base}/graphql/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
  });
});

describe('wantsExplorer', () => {
  const req = (method: string, accept: string | undefined) => {
    const r = express.request as express.Request;
    const fake = Object.create(r) as express.Request;
    Object.defineProperty(fake, 'method', { value: method });
    Object.defineProperty(fake, 'headers', { value: accept === undefined ? {} : { accept } });
    return fake;
  };

  it.each([
    ['GET', BROWSER_ACCEPT, true],
    ['HEAD', 'text/html', true],
    ['GET', 'application/json', false],
    ['GET', '*/*', false],
    ['GET', undefined, false],
    ['POST', BROWSER_ACCEPT, false],
  ])('%s with Accept %p → %p', (method, accept, expected) => {
    expect(wantsExplorer(req(method, accept))).toBe(expected);
  });
});
