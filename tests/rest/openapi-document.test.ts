import { openApiDocument } from '../../src/rest/openapi/document.js';
import { HTTP_METHODS } from '../../src/rest/openapi/types.js';
import { toYaml } from '../../src/rest/openapi/yaml.js';

/**
 * The document checked against OpenAPI 3.1's required structure (no validator package is installed,
 * so these are the rules of the spec that matter here, written out), then against the REST contract:
 * every endpoint of spec/api.md and DESIGN.md's additions, with their error shapes.
 */
const SERVER = 'http://chronicle.example:8000';
const doc = openApiDocument(SERVER) as any;

type Op = { path: string; method: string; op: any };
const operations: Op[] = Object.entries(doc.paths as Record<string, any>).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({ path, method, op })),
);

/** Every `$ref` in the document, with where it was found. */
function refsIn(value: unknown, at = '#', out: Array<{ ref: string; at: string }> = []) {
  if (Array.isArray(value)) value.forEach((v, i) => refsIn(v, `${at}/${i}`, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref') out.push({ ref: String(v), at });
      else refsIn(v, `${at}/${k}`, out);
    }
  }
  return out;
}

function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<any>((node, key) => (node && typeof node === 'object' ? node[key] : undefined), root);
}

function keysNamed(value: unknown, name: string, at = '#', out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v, i) => keysNamed(v, name, `${at}/${i}`, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === name) out.push(at);
      keysNamed(v, name, `${at}/${k}`, out);
    }
  }
  return out;
}

const deref = (node: any) => (node?.$ref ? (resolvePointer(doc, node.$ref) as any) : node);

describe('OpenAPI document: OpenAPI 3.1 structure', () => {
  it('declares OpenAPI 3.1 with an info object, and the server it was asked for', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof doc.info.title).toBe('string');
    expect(typeof doc.info.version).toBe('string');
    expect(doc.servers).toEqual([{ url: SERVER, description: expect.any(String) }]);
    // 3.1 requires at least one of paths, components, webhooks.
    expect(Object.keys(doc.paths).length).toBeGreaterThan(40);
  });

  it('has paths that start with "/" and path items holding only operations', () => {
    for (const [path, item] of Object.entries(doc.paths as Record<string, object>)) {
      expect(path.startsWith('/')).toBe(true);
      for (const key of Object.keys(item)) expect(HTTP_METHODS).toContain(key);
    }
  });

  it('gives every operation a unique operationId, a summary and at least one response with a description', () => {
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, method, op } of operations) {
      const where = `${method.toUpperCase()} ${path}`;
      expect({ where, id: typeof op.operationId, summary: typeof op.summary }).toEqual({
        where,
        id: 'string',
        summary: 'string',
      });
      const statuses = Object.keys(op.responses);
      expect({ where, statuses: statuses.length > 0 }).toEqual({ where, statuses: true });
      for (const status of statuses) {
        expect({ where, status, ok: /^(?:[1-5](?:\d\d|XX)|default)$/.test(status) }).toEqual({
          where,
          status,
          ok: true,
        });
        expect({ where, status, description: typeof deref(op.responses[status]).description }).toEqual({
          where,
          status,
          description: 'string',
        });
      }
    }
  });

  it('declares each path template parameter as a required path parameter, and no other path parameter', () => {
    for (const { path, method, op } of operations) {
      const template = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = (op.parameters ?? []).map(deref).filter((p: any) => p.in === 'path');
      expect({ where: `${method} ${path}`, names: declared.map((p: any) => p.name).sort() }).toEqual({
        where: `${method} ${path}`,
        names: template,
      });
      for (const p of declared) expect(p.required).toBe(true);
    }
  });

  it('gives every parameter a name, a valid location and a schema, unique per operation', () => {
    for (const { path, method, op } of operations) {
      const params = (op.parameters ?? []).map(deref);
      for (const p of params) {
        expect({
          where: `${method} ${path}`,
          p: [typeof p.name, ['path', 'query', 'header', 'cookie'].includes(p.in), typeof p.schema],
        }).toEqual({ where: `${method} ${path}`, p: ['string', true, 'object'] });
      }
      const keys = params.map((p: any) => `${p.in}:${p.name}`);
      expect({
        where: `${method} ${path}`,
        duplicates: keys.filter((k: string, i: number) => keys.indexOf(k) !== i),
      }).toEqual({ where: `${method} ${path}`, duplicates: [] });
    }
  });

  it('gives every request body and response content a media type with a schema', () => {
    for (const { path, method, op } of operations) {
      const contents = [
        op.requestBody?.content,
        ...Object.values(op.responses).map((r: any) => deref(r).content),
      ].filter(Boolean);
      if (op.requestBody) expect(Object.keys(op.requestBody.content).length).toBeGreaterThan(0);
      for (const content of contents) {
        for (const [type, media] of Object.entries(content as Record<string, any>)) {
          expect({ where: `${method} ${path}`, type, schema: typeof media.schema }).toEqual({
            where: `${method} ${path}`,
            type,
            schema: 'object',
          });
        }
      }
    }
  });

  it('resolves every $ref inside the document', () => {
    const broken = refsIn(doc).filter(({ ref }) => resolvePointer(doc, ref) === undefined);
    expect(broken).toEqual([]);
    expect(refsIn(doc).length).toBeGreaterThan(100);
  });

  it("uses 3.1 schemas: type arrays for null, never 3.0's `nullable`, no JSON Schema dialect marker per schema", () => {
    expect(keysNamed(doc, 'nullable')).toEqual([]);
    expect(keysNamed(doc, '$schema')).toEqual([]);
  });

  it('names only declared security schemes and declared tags', () => {
    const schemes = Object.keys(doc.components.securitySchemes);
    const requirements = [...doc.security, ...operations.flatMap(({ op }) => op.security ?? [])];
    for (const req of requirements) for (const name of Object.keys(req)) expect(schemes).toContain(name);
    const tags = doc.tags.map((t: any) => t.name);
    for (const { op } of operations) for (const tag of op.tags) expect(tags).toContain(tag);
  });
});

describe('OpenAPI document: the REST contract', () => {
  const has = (method: string, path: string) => Boolean(doc.paths[path]?.[method]);

  it.each([
    // spec/api.md
    ['post', '/api/auth/login/'],
    ['post', '/api/auth/refresh/'],
    ['post', '/api/users/'],
    ['get', '/api/users/me/'],
    ['post', '/api/users/change_password/'],
    ['post', '/api/users/request_password_reset/'],
    ['post', '/api/users/reset_password/'],
    ['get', '/api/workspaces/'],
    ['post', '/api/workspaces/'],
    ['patch', '/api/workspaces/{slug}/'],
    ['get', '/api/workspaces/{slug}/threads/'],
    ['post', '/api/workspaces/{slug}/add_user/'],
    ['post', '/api/documents/upload/'],
    ['get', '/api/documents/'],
    ['post', '/api/documents/{id}/pin/'],
    ['post', '/api/documents/{id}/watch/'],
    ['post', '/api/documents/bulk_action/'],
    ['post', '/api/chats/stream_chat/'],
    ['get', '/api/chats/history/'],
    ['post', '/api/chats/feedback/'],
    ['post', '/api/chats/export/'],
    ['get', '/api/chats/search/'],
    ['post', '/api/embeddings/configs/'],
    ['get', '/api/embeddings/configs/{uuid}/embed_code/'],
    ['post', '/api/embeddings/configs/{uuid}/toggle/'],
    ['get', '/api/embeddings/chats/sessions/'],
    ['get', '/api/system/status/'],
    ['get', '/api/system/setup-complete/'],
    ['patch', '/api/system/settings/{label}/'],
    ['get', '/api/system/event-logs/'],
    ['post', '/api/keys/api-keys/generate/'],
    ['post', '/api/keys/api-keys/verify/'],
    ['post', '/api/keys/browser-extension-keys/generate/'],
    ['post', '/api/keys/invites/generate/'],
    ['post', '/api/keys/invites/claim/'],
    // DESIGN.md's additions
    ['get', '/api/users/'],
    ['patch', '/api/users/{id}/'],
    ['delete', '/api/users/{id}/'],
    ['post', '/api/workspaces/{slug}/threads/'],
    ['patch', '/api/workspaces/{slug}/threads/{id}/'],
    ['delete', '/api/workspaces/{slug}/threads/{id}/'],
    ['get', '/api/system/settings/'],
    ['get', '/api/documents/{id}/'],
    ['delete', '/api/documents/{id}/'],
    ['get', '/api/chats/'],
    ['post', '/api/embed/{uuid}/stream-chat/'],
    ['get', '/api/embed/{uuid}/{sessionId}/'],
    ['get', '/healthz'],
    ['get', '/readyz'],
    ['get', '/metrics'],
    ['get', '/api/schema/'],
  ])('documents %s %s', (method, path) => {
    expect(has(method, path)).toBe(true);
  });

  it('shows the error bodies exactly as the spec does', () => {
    const example = (name: string) => doc.components.responses[name].content['application/json'].example;
    expect(example('BadRequest')).toEqual({ error: expect.any(String), field_errors: expect.any(Object) });
    expect(example('Unauthorized')).toEqual({ detail: 'Authentication credentials were not provided.' });
    expect(example('Forbidden')).toEqual({ detail: 'You do not have permission to perform this action.' });
    expect(example('NotFound')).toEqual({ detail: 'Not found.' });
    expect(example('InternalError')).toEqual({ error: 'Internal server error. Please try again later.' });
    expect(doc.components.schemas.ValidationError.required).toEqual(['error', 'field_errors']);
    expect(doc.components.schemas.Detail.required).toEqual(['detail']);
    expect(doc.components.schemas.Error.required).toEqual(['error']);
  });

  it('answers 500 everywhere, 401 wherever a token is needed, 429 under /api, 413 for uploads', () => {
    for (const { path, method, op } of operations) {
      const where = `${method} ${path}`;
      expect({ where, has500: '500' in op.responses }).toEqual({ where, has500: true });
      if (op.security === undefined) expect({ where, has401: '401' in op.responses }).toEqual({ where, has401: true });
      if (path.startsWith('/api/') && path !== '/api/schema/')
        expect({ where, has429: '429' in op.responses }).toEqual({ where, has429: true });
    }
    expect(doc.paths['/api/documents/upload/'].post.responses['413']).toBeDefined();
    expect(doc.paths['/api/documents/upload/'].post.requestBody.content['multipart/form-data'].schema.required).toEqual(
      ['file', 'workspace_id'],
    );
  });

  it('answers 503 everywhere while starting, but /healthz (200) and /readyz (its progress)', () => {
    for (const { path, method, op } of operations) {
      const where = `${method} ${path}`;
      if (path === '/healthz') expect({ where, has503: '503' in op.responses }).toEqual({ where, has503: false });
      else expect({ where, has503: '503' in op.responses }).toEqual({ where, has503: true });
    }
    expect(doc.paths['/api/workspaces/'].get.responses['503']).toEqual({ $ref: '#/components/responses/Starting' });
    expect(doc.components.responses.Starting.headers['Retry-After']).toBeDefined();
    expect(doc.paths['/readyz'].get.responses['503'].content['application/json'].schema.oneOf).toContainEqual({
      $ref: '#/components/schemas/Starting',
    });
  });

  it('secures by a bearer JWT or an sk_live_ API key, and leaves the public endpoints open', () => {
    expect(doc.security).toEqual([{ jwt: [] }, { apiKey: [] }]);
    expect(doc.components.securitySchemes.jwt).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    const open = operations
      .filter(({ op }) => Array.isArray(op.security) && op.security.length === 0)
      .map(({ method, path }) => `${method} ${path}`);
    expect(open).toEqual(
      expect.arrayContaining([
        'post /api/auth/login/',
        'post /api/users/',
        'post /api/keys/invites/claim/',
        'post /api/embed/{uuid}/stream-chat/',
        'get /api/system/setup-complete/',
        'get /healthz',
      ]),
    );
    expect(open).not.toContain('get /api/users/');
  });

  it('pages lists: limit/offset parameters and an array-or-envelope answer', () => {
    const list = doc.paths['/api/workspaces/'].get;
    expect(list.parameters).toEqual(
      expect.arrayContaining([{ $ref: '#/components/parameters/limit' }, { $ref: '#/components/parameters/offset' }]),
    );
    const [plain, page] = list.responses['200'].content['application/json'].schema.oneOf;
    expect(plain).toEqual({ type: 'array', items: { $ref: '#/components/schemas/Workspace' } });
    expect(page.required).toEqual(['count', 'next', 'previous', 'results']);
  });

  it('streams chats as text/event-stream and exports as a download in four formats', () => {
    for (const path of ['/api/chats/stream_chat/', '/api/embed/{uuid}/stream-chat/']) {
      expect(Object.keys(doc.paths[path].post.responses['200'].content)).toEqual(['text/event-stream']);
    }
    const exported = doc.paths['/api/chats/export/'].post.responses['200'];
    expect(Object.keys(exported.content).sort()).toEqual([
      'application/json',
      'application/pdf',
      'text/csv',
      'text/plain',
    ]);
    expect(exported.headers['Content-Disposition']).toBeDefined();
  });

  it("takes request bodies from the commands' own validation rules", () => {
    const register = doc.paths['/api/users/'].post.requestBody.content['application/json'].schema;
    expect(register.required).toEqual(['username', 'email', 'password', 'password_confirm']);
    const update = doc.paths['/api/users/{id}/'].patch.requestBody.content['application/json'].schema;
    expect(update.properties.role.enum).toEqual(['admin', 'manager', 'default']);
    expect(update.additionalProperties).toBe(false);
  });

  it('shows the documented shapes of DESIGN.md', () => {
    const fields = (name: string) => Object.keys(doc.components.schemas[name].properties);
    expect(fields('Document')).toEqual(
      expect.arrayContaining([
        'id',
        'filename',
        'workspace',
        'status',
        'pinned',
        'watched',
        'metadata',
        'size',
        'mime_type',
        'chunk_count',
        'created_at',
      ]),
    );
    expect(fields('Chat')).toEqual([
      'id',
      'prompt',
      'response',
      'workspace',
      'thread',
      'user',
      'mode',
      'feedback',
      'comment',
      'sources',
      'created_at',
    ]);
    expect(fields('EmbedConfig')).toEqual([
      'uuid',
      'workspace',
      'enabled',
      'chat_mode',
      'allowlist_domains',
      'max_chats_per_day',
      'message_limit',
      'created_at',
    ]);
    expect(fields('Thread')).toEqual(['id', 'name', 'slug', 'workspace', 'user', 'created_at']);
    expect(fields('EventLog')).toEqual(['id', 'event', 'metadata', 'user_id', 'occurred_at']);
  });
});

describe('toYaml', () => {
  // js-yaml is here only as jest's own dependency; the server never loads it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yaml = require('js-yaml') as { load(text: string): unknown };

  it('writes the whole document as YAML that reads back to the same data', () => {
    expect(yaml.load(toYaml(doc))).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it('keeps strings that look like other YAML types as strings', () => {
    const tricky = {
      yes: 'no',
      '200': '404',
      'a: b': '- c',
      on: 'null',
      list: ['true', '1.5', '', '#x', 'line\nbreak', 'quote "q"', '\u2028'],
      empty: {},
      none: [],
      nested: [[1, [2]], { k: null }],
      flag: false,
      n: -0.5,
    };
    expect(yaml.load(toYaml(tricky))).toEqual(tricky);
  });
});
