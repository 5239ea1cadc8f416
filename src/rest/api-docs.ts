/**
 * The OpenAPI document (`/api/schema/`) and Swagger UI (`/api/docs/`), both public and served from
 * local packages only (swagger-ui-dist), so they work offline and load nothing from a CDN.
 */
import path from 'node:path';
import { type Request, type Response, type NextFunction, Router } from 'express';
import { invalid } from '../domain/shared/errors.js';
import { openApiDocument } from './openapi/document.js';
import { toYaml } from './openapi/yaml.js';
import { baseUrlOf } from './routes/embeddings.js';

const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

/** Asset name (as served) → file in swagger-ui-dist. A fixed list: no request path reaches the filesystem. */
const ASSETS: Record<string, string> = Object.fromEntries(
  ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png'].map((name) => [
    name,
    path.join(SWAGGER_UI_DIR, name),
  ]),
);

// Swagger UI's start-up is a served file, not an inline <script>, so `script-src 'self'` allows it.
// validatorUrl null: otherwise the UI fetches a badge from validator.swagger.io.
const INITIALIZER_JS = `(function () {
  var el = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({
    url: el.getAttribute('data-schema-url'),
    domNode: el,
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    persistAuthorization: false,
    displayRequestDuration: true,
  });
})();
`;

// Everything is same-origin. Swagger UI draws icons as data: URIs; its styles are set through the
// CSSOM (React), which CSP does not police, so no 'unsafe-inline' (checked in Chromium).
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
].join('; ');

const escapeAttr = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

function pageHtml(base: string): string {
  const asset = (name: string) => escapeAttr(`${base}/docs/assets/${name}`);
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Chronicle API</title>
  <link rel="stylesheet" href="${asset('swagger-ui.css')}">
  <link rel="icon" type="image/png" href="${asset('favicon-32x32.png')}" sizes="32x32">
  <link rel="icon" type="image/png" href="${asset('favicon-16x16.png')}" sizes="16x16">
</head>
<body>
  <div id="swagger-ui" data-schema-url="${escapeAttr(`${base}/schema/`)}"></div>
  <script src="${asset('swagger-ui-bundle.js')}"></script>
  <script src="${asset('swagger-initializer.js')}"></script>
</body>
</html>
`;
}

/**
 * `schema` mounts at `/api/schema` (and `/api/v1/schema`), `docs` at `/api/docs` (and `/api/v1/docs`): each
 * under its own path, so other requests do not pass through them. The page's links follow the prefix it was
 * reached by.
 */
export function apiDocsRouters(): { schema: Router; docs: Router } {
  const schema = Router();
  schema.get('/', (req: Request, res: Response) => {
    const format = req.query.format ?? 'json';
    if (format !== 'json' && format !== 'yaml') throw invalid('Validation failed.', { format: ['Use json or yaml.'] });
    const document = openApiDocument(baseUrlOf(req));
    res.set('Cache-Control', 'no-cache');
    if (format === 'yaml') res.type('application/yaml').send(toYaml(document));
    else res.json(document);
  });

  const docs = Router();
  docs.get('/', (req: Request, res: Response) => {
    res.set('Content-Security-Policy', PAGE_CSP);
    res.set('Cache-Control', 'no-cache');
    res.type('html').send(pageHtml(req.baseUrl.slice(0, -'/docs'.length)));
  });
  docs.get('/assets/swagger-initializer.js', (_req: Request, res: Response) => {
    res.set('Cache-Control', 'public, max-age=3600');
    res.type('application/javascript').send(INITIALIZER_JS);
  });
  docs.get('/assets/:name', (req: Request, res: Response, next: NextFunction) => {
    const name = String(req.params.name);
    const file = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!file) return next();
    // dotfiles: 'allow' because the install path may hold a dot segment (e.g. ~/.local/...).
    res.sendFile(file, { dotfiles: 'allow', maxAge: '1d' }, (err) => {
      if (err && !res.headersSent) next(err);
    });
  });
  return { schema, docs };
}
