import { nonConforming } from '../support/openapi-conformance.js';

/** The check the e2e suites' responses go through after each file (tests/setup/openapi-conformance.ts). */
describe('holding responses to the API document', () => {
  const json = 'application/json; charset=utf-8';

  it('given a declared status and a body matching its schema, then nothing is reported', () => {
    expect(
      nonConforming([
        { method: 'GET', path: '/healthz', status: 200, contentType: json, body: { status: 'ok' } },
        {
          method: 'POST',
          path: '/api/v1/auth/login/',
          status: 401,
          contentType: json,
          body: { detail: 'No active account found with the given credentials' },
        },
      ]),
    ).toEqual([]);
  });

  it('given a status the operation does not declare, then it is reported', () => {
    const problems = nonConforming([
      { method: 'GET', path: '/api/users/me/', status: 418, contentType: json, body: {} },
    ]);
    expect(problems).toEqual([
      expect.stringContaining('GET /api/users/me/ (GET /api/users/me/) → 418: status not declared'),
    ]);
  });

  it('given a body that does not match the declared schema, then it is reported', () => {
    const problems = nonConforming([
      { method: 'GET', path: '/api/users/me/', status: 200, contentType: json, body: { id: 'one' } },
    ]);
    expect(problems).toEqual([expect.stringContaining('body does not match the schema')]);
  });

  it('given a path the document does not describe, then it is left to the route drift test', () => {
    expect(
      nonConforming([
        { method: 'GET', path: '/nowhere/', status: 404, contentType: json, body: { detail: 'Not found.' } },
      ]),
    ).toEqual([]);
  });
});
