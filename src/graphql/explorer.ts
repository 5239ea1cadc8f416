/**
 * GraphiQL explorer served entirely from local packages, so it works offline
 * and loads nothing from a CDN. Mount at the app root, before the GraphQL
 * handler: `GET /graphql` from a browser gets the page, everything else falls
 * through (`next()`) to the GraphQL server.
 */
import path from 'node:path';
import express from 'express';
import type { Request, Response, NextFunction } from 'express';

export interface ExplorerOptions {
  /** Path of the GraphQL endpoint; the page and its assets live under it. */
  endpoint?: string;
}

// The packages' `exports` maps hide their UMD builds from require.resolve, so
// resolve each package.json (always exported) and join from its directory.
// This works from src/ under jest and from dist/ in production alike.
function packageFile(pkg: string, file: string): string {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
}

/** Asset name (as served) → absolute file on disk. A fixed list: no path input reaches the filesystem. */
function assetFiles(): Record<string, string> {
  return {
    'react.production.min.js': packageFile('react', 'umd/react.production.min.js'),
    'react-dom.production.min.js': packageFile('react-dom', 'umd/react-dom.production.min.js'),
    'graphiql.min.js': packageFile('graphiql', 'graphiql.min.js'),
    'graphiql.min.css': packageFile('graphiql', 'graphiql.min.css'),
  };
}

// Bootstrap code is a served file rather than an inline <script>, so a strict
// CSP (`script-src 'self'`, helmet's default) allows it.
const BOOTSTRAP_JS = `(function () {
  var el = document.getElementById('graphiql');
  var url = el.getAttribute('data-endpoint');
  var wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + url;
  var fetcher = typeof GraphiQL.createFetcher === 'function'
    // Headers typed in the editor also go into graphql-ws connection_init.
    ? GraphiQL.createFetcher({ url: url, subscriptionUrl: wsUrl })
    : function (params, opts) {
        var headers = Object.assign({ 'Content-Type': 'application/json', Accept: 'application/json' },
          opts && opts.headers);
        return fetch(url, { method: 'POST', headers: headers, body: JSON.stringify(params) })
          .then(function (res) { return res.json(); });
      };
  ReactDOM.createRoot(el).render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultEditorToolbarTabs: 'headers',
    defaultQuery: '# Log in, then add {"Authorization": "Bearer <access>"} under Headers.\\n' +
      'mutation Login {\\n  login(username: "", password: "") { access refresh }\\n}\\n',
  }));
})();
`;

// Everything the page may load is same-origin; styles need 'unsafe-inline'
// because GraphiQL sets inline styles, fonts are data: URIs in its CSS.
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
].join('; ');

function escapeAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

function pageHtml(endpoint: string): string {
  const asset = (name: string) => escapeAttr(`${endpoint}/assets/${name}`);
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Chronicle GraphQL explorer</title>
  <link rel="stylesheet" href="${asset('graphiql.min.css')}">
  <style>html, body { height: 100%; margin: 0; } #graphiql { height: 100vh; }</style>
</head>
<body>
  <div id="graphiql" data-endpoint="${escapeAttr(endpoint)}">Loading…</div>
  <script src="${asset('react.production.min.js')}"></script>
  <script src="${asset('react-dom.production.min.js')}"></script>
  <script src="${asset('graphiql.min.js')}"></script>
  <script src="${asset('explorer.js')}"></script>
</body>
</html>
`;
}

/** True for a browser navigation (GET/HEAD preferring HTML over JSON); API clients fall through. */
export function wantsExplorer(req: Pick<Request, 'method' | 'accepts'>): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  // With no Accept header or `*/*`, accepts() picks the first type: JSON wins.
  return req.accepts(['application/json', 'text/html']) === 'text/html';
}

export function explorerRouter(options: ExplorerOptions = {}): express.Router {
  const endpoint = options.endpoint ?? '/graphql';
  const files = assetFiles();
  const html = pageHtml(endpoint);
  const router = express.Router();

  router.get(endpoint, (req: Request, res: Response, next: NextFunction) => {
    if (!wantsExplorer(req)) return next();
    res.set('Content-Security-Policy', PAGE_CSP);
    res.set('Cache-Control', 'no-cache');
    // Same URL answers JSON to API clients: caches must key on Accept.
    res.vary('Accept');
    res.type('html').send(html);
  });

  router.get(`${endpoint}/assets/explorer.js`, (_req: Request, res: Response) => {
    res.set('Cache-Control', 'public, max-age=3600');
    res.type('application/javascript').send(BOOTSTRAP_JS);
  });

  router.get(`${endpoint}/assets/:name`, (req: Request, res: Response, next: NextFunction) => {
    const name = String(req.params.name);
    const file = Object.hasOwn(files, name) ? files[name] : undefined;
    if (!file) return next();
    // dotfiles: 'allow' because the install path itself may contain a dot
    // segment (e.g. ~/.local/...), which send() would otherwise 404.
    res.sendFile(file, { dotfiles: 'allow', maxAge: '1d' }, (err) => {
      if (err && !res.headersSent) next(err);
    });
  });

  return router;
}
