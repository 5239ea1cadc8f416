/** The GraphQL twins of the signed chain head and its key, over HTTP POST /graphql against a real server. */
import { createPublicKey, verify } from 'node:crypto';
import { signedHeadMessage } from '../../src/audit/signed-head.js';
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let admin: string;
let member: string;

const gql = (query: string, token?: string) => api(server, 'POST', '/graphql', { query }, token ? bearer(token) : {});

beforeAll(async () => {
  server = await startTestServer();
  admin = (await registerAndLogin(server, 'gqlauditor')).access;
  member = (await registerAndLogin(server, 'gqlmember')).access;
});
afterAll(() => server.close());

it('given an admin, when asking auditHead and auditPublicKey, then the signature verifies and matches the REST head', async () => {
  const res = await gql('{ auditHead { position hash signature signedAt } auditPublicKey }', admin);
  expect(res.status).toBe(200);
  const { auditHead: head, auditPublicKey: pem } = res.body.data;
  expect(head.position).toBe(await server.head());
  expect(head.hash).toBe((await api(server, 'GET', '/api/system/audit/head/', undefined, bearer(admin))).body.hash);
  expect(
    verify(
      null,
      signedHeadMessage(head.position, head.hash, head.signedAt),
      createPublicKey(pem),
      Buffer.from(head.signature, 'base64'),
    ),
  ).toBe(true);
});

it('given a non-admin, then auditHead is refused and nothing is answered', async () => {
  const res = await gql('{ auditHead { position hash } }', member);
  expect(res.body.data).toBeNull();
  expect(res.body.errors[0].extensions.code).toBe('FORBIDDEN');
});
