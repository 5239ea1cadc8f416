/** The slice of OpenAPI 3.1 this document uses: plain data, so it serialises as it is. */
export type Schema = Record<string, unknown>;

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface Reference {
  $ref: string;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  description?: string;
  schema: Schema;
}

export interface MediaType {
  schema: Schema;
  example?: unknown;
}
export type Content = Record<string, MediaType>;

export interface RequestBody {
  required?: boolean;
  description?: string;
  content: Content;
}

export interface Response {
  description: string;
  headers?: Record<string, { description?: string; schema: Schema }>;
  content?: Content;
}

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags?: string[];
  /** `[]` for a public operation; absent means the document's default (a bearer token). */
  security?: Array<Record<string, string[]>>;
  parameters?: Array<Parameter | Reference>;
  requestBody?: RequestBody;
  responses: Record<string, Response | Reference>;
}

export type PathItem = Partial<Record<HttpMethod, Operation>>;
export type Paths = Record<string, PathItem>;

/** One spec app's part of the document: its tags and paths, and any schemas only it uses. */
export interface ApiSection {
  tags: Array<{ name: string; description: string }>;
  paths: Paths;
  schemas?: Record<string, Schema>;
}
