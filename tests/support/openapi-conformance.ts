/**
 * Holds the server's answers to its OpenAPI document: for a recorded response, the operation its
 * method and path name must declare its status, and a JSON body must match the schema declared for
 * that status and content type. The document is the one the server serves (assembled in-process).
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../src/rest/openapi/document.js';

export interface RecordedResponse {
  method: string;
  /** The request's path, without query or origin. */
  path: string;
  status: number;
  contentType: string | null;
  /** Parsed JSON, or the text when it is not JSON. */
  body: unknown;
}

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
}

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: Record<string, Record<string, unknown>>;
};

const pointerEscape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

class Conformance {
  private readonly doc = openApiDocument('') as unknown as Doc;
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly routes: Route[];

  constructor() {
    addFormats(this.ajv);
    this.ajv.addSchema(this.doc, 'openapi');
    this.routes = Object.entries(this.doc.paths).flatMap(([template, item]) =>
      Object.keys(item).map((method) => ({
        method,
        template,
        pattern: new RegExp(`^${template.replace(/^\/api\//, '/api/(?:v1/)?').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      })),
    );
  }

  /** What is wrong with this response against the document; null when it conforms or names no documented operation. */
  check(r: RecordedResponse): string | null {
    const candidates = this.routes.filter(
      (route) => route.method === r.method.toLowerCase() && route.pattern.test(r.path),
    );
    if (!candidates.length) return null; // an undocumented route: the route drift test in openapi.e2e.test.ts covers those
    // A literal path (/api/users/me/) wins over a template that also matches it (/api/users/{id}/).
    const route = candidates.sort((a, b) => templateParams(a.template) - templateParams(b.template))[0];
    const where = `${r.method} ${r.path} (${route.method.toUpperCase()} ${route.template}) → ${r.status}`;
    const responses = this.doc.paths[route.template][route.method].responses;
    const statusKey =
      String(r.status) in responses
        ? String(r.status)
        : `${String(r.status)[0]}XX` in responses
          ? `${String(r.status)[0]}XX`
          : 'default' in responses
            ? 'default'
            : null;
    if (!statusKey) return `${where}: status not declared (declared: ${Object.keys(responses).join(', ')})`;
    let pointer = `/paths/${pointerEscape(route.template)}/${route.method}/responses/${statusKey}`;
    let response = responses[statusKey] as { $ref?: string; content?: Record<string, unknown> };
    if (response.$ref) {
      pointer = response.$ref.slice(1);
      response = this.resolve(pointer) as typeof response;
    }
    const type = r.contentType?.split(';')[0].trim().toLowerCase() ?? null;
    if (!response.content || !type || r.status === 204) return null;
    const declared = type in response.content ? type : '*/*' in response.content ? '*/*' : null;
    if (!declared)
      return `${where}: content type ${type} not declared (declared: ${Object.keys(response.content).join(', ')})`;
    if (!/[/+]json$/.test(type)) return null;
    const schemaPointer = `${pointer}/content/${pointerEscape(declared)}/schema`;
    if (this.resolve(schemaPointer) === undefined) return null;
    let validate = this.validators.get(schemaPointer);
    if (!validate)
      this.validators.set(
        schemaPointer,
        (validate = this.ajv.compile({ $ref: `openapi#${encodeURI(schemaPointer)}` })),
      );
    if (validate(r.body)) return null;
    return `${where}: body does not match the schema: ${this.ajv.errorsText(validate.errors)}; body ${JSON.stringify(r.body).slice(0, 300)}`;
  }

  private resolve(pointer: string): unknown {
    return pointer
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], this.doc);
  }
}

const templateParams = (template: string) => (template.match(/\{/g) ?? []).length;

let conformance: Conformance | undefined;

/** Every way the responses stray from the document, one line each. */
export function nonConforming(responses: readonly RecordedResponse[]): string[] {
  if (!responses.length) return [];
  conformance ??= new Conformance();
  const problems = new Set<string>();
  for (const r of responses) {
    const problem = conformance.check(r);
    if (problem) problems.add(problem);
  }
  return [...problems];
}

/** The responses the shared HTTP helpers received in this test file (each jest test file has its own module registry). */
export const recordedResponses: RecordedResponse[] = [];

export function recordResponse(r: RecordedResponse): void {
  recordedResponses.push(r);
}
