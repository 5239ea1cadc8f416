import { API_SECTIONS } from './openapi/document.js';
import { HTTP_METHODS } from './openapi/types.js';

/**
 * The operations the API document declares public (`security: []`): registration, login, password reset,
 * invite claim, key verification, the embed widget's calls and their preflights. Read from the document,
 * so the server and what it tells clients cannot disagree on which they are.
 */
const PUBLIC_OPERATIONS: ReadonlyArray<{ method: string; path: RegExp }> = API_SECTIONS.flatMap((section) =>
  Object.entries(section.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method]?.security?.length === 0).map((method) => ({
      method: method.toUpperCase(),
      // Every /api/... path is served under /api/v1/... too; `{param}` is one path segment.
      path: new RegExp(`^${path.replace(/^\/api\//, '/api/(?:v1/)?').replace(/\{[^}]+\}/g, '[^/]+')}$`),
    })),
  ),
);

export function isPublicOperation(method: string, path: string): boolean {
  return PUBLIC_OPERATIONS.some((op) => op.method === method && op.path.test(path));
}
