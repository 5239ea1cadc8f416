/**
 * After every test file: the responses its shared HTTP helpers (tests/support/server.ts `api`) received
 * must be declared by the API document (status for that operation, body matching its schema), so the
 * document and the server cannot drift apart.
 */
import { nonConforming, recordedResponses } from '../support/openapi-conformance.js';

afterAll(() => {
  const problems = nonConforming(recordedResponses);
  recordedResponses.length = 0;
  if (problems.length) throw new Error(`Responses the API document does not declare:\n${problems.join('\n')}`);
});
