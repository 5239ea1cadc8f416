/**
 * The GraphQL face of identity: queries and mutations over HTTP POST /graphql, the explorer over GET,
 * and graphql-ws over ws://host/graphql with the JWT in connection_init. Real server, real clients.
 */
import { appendedSince, expectAppendsNothing, recordingApi, uniqueName } from '../support/e2e.js';
import { closeGraphqlWsClients, connectGraphqlWs, execute } from '../support/graphql-ws.js';
import {
  bearer,
  registerAndLogin,
  type Session,
  STRONG_PASSWORD,
  startTestServer,
  type TestServer,
} from '../support/server.js';

let server: TestServer;
let http: ReturnType<typeof recordingApi>;

const REGISTER = `mutation Register($input: RegisterInput!) { register(input: $input) { id username email role } }`;
const LOGIN = `mutation Login($username: String!, $password: String!) {
  login(username: $username, password: $password) { access refresh user { id username role } }
}`;
const ME = `query { me { id username role } }`;

function gql(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  return http.call('POST', '/graphql', { query, variables }, headers);
}

const registerInput = (username: string, password = STRONG_PASSWORD) => ({
  input: { username, email: `${username}@example.com`, password, passwordConfirm: password },
});

beforeAll(async () => {
  server = await startTestServer();
  http = recordingApi(server);
});

afterAll(async () => {
  await closeGraphqlWsClients();
  await server?.close();
});

describe('over HTTP POST /graphql', () => {
  let first: Session;

  it('given no users, when register runs, then it answers the new user as admin, with an ID holding the integer id', async () => {
    const username = uniqueName('gqladmin');
    const res = await gql(REGISTER, registerInput(username));
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.register).toEqual({
      id: expect.stringMatching(/^\d+$/),
      username,
      email: `${username}@example.com`,
      role: 'admin',
    });

    const login = await gql(LOGIN, { username, password: STRONG_PASSWORD });
    first = { user: res.body.data.register, ...login.body.data.login };
  });

  it('given a registered user, when login runs, then access, refresh and the user', async () => {
    const username = uniqueName('gql');
    const reg = await gql(REGISTER, registerInput(username));
    expect(reg.body.data.register.role).toBe('default');
    const res = await gql(LOGIN, { username, password: STRONG_PASSWORD });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.login).toEqual({
      access: expect.any(String),
      refresh: expect.any(String),
      user: { id: reg.body.data.register.id, username, role: 'default' },
    });
    // The REST face accepts the same token: both are faces over the same identity.
    const rest = await http.call('GET', '/api/users/me/', undefined, bearer(res.body.data.login.access));
    expect(rest.status).toBe(200);
    expect(String(rest.body.id)).toBe(reg.body.data.register.id);
  });

  it('given a bearer header, when me runs, then the user of that token', async () => {
    const res = await gql(ME, undefined, bearer(first.access));
    expect(res.body).toEqual({ data: { me: { id: first.user.id, username: first.user.username, role: 'admin' } } });
  });

  it('given no bearer header, when me runs, then an error with extensions.code UNAUTHENTICATED', async () => {
    const res = await gql(ME);
    expect(res.body.data).toBeNull();
    expect(res.body.errors).toEqual([
      expect.objectContaining({
        message: 'Authentication credentials were not provided.',
        extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }),
      }),
    ]);
  });

  it('given a wrong password, when login runs, then UNAUTHENTICATED', async () => {
    const res = await gql(LOGIN, { username: first.user.username, password: 'Wrong-Password-1' });
    expect(res.body.errors).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }),
    ]);
  });

  it.each([
    ['too short', () => 'Ab1-xyz', /too short/],
    ['entirely numeric', () => '4829104738', /entirely numeric/],
    ['too common', () => 'password123', /too common/],
    ['too similar to the username', (u: string) => `${u}-2024!`, /too similar/],
  ])(
    'given a password that is %s, when register runs, then BAD_USER_INPUT with fieldErrors.password, and nothing appended',
    async (_what, password, message) => {
      const username = uniqueName('gqlweak');
      const res = await expectAppendsNothing(server, () => gql(REGISTER, registerInput(username, password(username))));
      expect(res.body.data).toBeNull();
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(res.body.errors[0].extensions.fieldErrors).toEqual({
        password: expect.arrayContaining([expect.stringMatching(message)]),
      });
    },
  );

  it('given a mismatched passwordConfirm, when register runs, then BAD_USER_INPUT, and nothing appended', async () => {
    const input = registerInput(uniqueName('gqlmis'));
    input.input.passwordConfirm = 'Correct-Horse-43';
    const res = await expectAppendsNothing(server, () => gql(REGISTER, input));
    expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(Object.keys(res.body.errors[0].extensions.fieldErrors)).toEqual(['passwordConfirm']);
  });

  it('given a syntax error in the query, then a GRAPHQL_PARSE_FAILED error, and nothing appended', async () => {
    const res = await expectAppendsNothing(server, () => gql('mutation { register(input: {'));
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('then no GraphQL answer holds a stack trace or a password hash', () => {
    expect(http.leaks()).toEqual([]);
    expect(http.bodies.some((b) => /"stacktrace"|exception/i.test(b.text))).toBe(false);
  });
});

describe('GET /graphql in a browser', () => {
  it('given Accept: text/html, then the explorer page', async () => {
    const res = await fetch(`${server.url}/graphql`, { headers: { Accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('id="graphiql"');
    expect(html).toContain('data-endpoint="/graphql"');
  });
});

describe('over graphql-ws on ws://host/graphql', () => {
  let user: Session;

  beforeAll(async () => {
    user = await registerAndLogin(http, uniqueName('ws'));
  });

  it('given Authorization in connection_init, when query { me } runs over the socket, then the user of that token', async () => {
    const client = connectGraphqlWs(server, { token: user.access });
    const result = await execute(client, `query { me { username } }`);
    expect(result).toEqual({ data: { me: { username: user.user.username } } });
  });

  it('given no connection params, when query { me } runs, then the same error as over HTTP: extensions.code UNAUTHENTICATED', async () => {
    const client = connectGraphqlWs(server);
    const result = await execute(client, `query { me { username } }`);
    expect(result.data).toBeNull();
    expect(result.errors).toEqual([
      expect.objectContaining({
        message: 'Authentication credentials were not provided.',
        extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }),
      }),
    ]);
  });

  it.each([
    ['a garbage token', () => 'Bearer not-a-jwt'],
    ['a refresh token', () => `Bearer ${user.refresh}`],
  ])('given %s in connection_init, then the socket is closed with 4403 Forbidden', async (_what, authorization) => {
    let closed!: (event: { code: number; reason: string }) => void;
    const closeEvent = new Promise<{ code: number; reason: string }>((resolve) => {
      closed = resolve;
    });
    const client = connectGraphqlWs(server, { connectionParams: { Authorization: authorization() }, onClosed: closed });
    const outcome = execute(client, `query { me { username } }`).then(
      (value) => ({ value }),
      (error) => ({ error }),
    );
    const event = await closeEvent;
    expect({ code: event.code, reason: event.reason }).toEqual({ code: 4403, reason: 'Forbidden' });
    expect(await outcome).toEqual({ error: expect.objectContaining({ code: 4403 }) });
  });
});

describe('login rate limit over GraphQL', () => {
  it('given RATE_LIMIT_AUTH_PER_MIN=5, then the 6th login mutation within a minute is refused like the REST login, and nothing appended', async () => {
    const limited = await startTestServer({ RATE_LIMIT_AUTH_PER_MIN: '5' });
    try {
      const client = recordingApi(limited);
      const username = uniqueName('gqlrl');
      const reg = await client.call('POST', '/graphql', { query: REGISTER, variables: registerInput(username) });
      expect(reg.body.errors).toBeUndefined();
      for (let i = 1; i <= 5; i++) {
        const res = await client.call('POST', '/graphql', {
          query: LOGIN,
          variables: { username, password: STRONG_PASSWORD },
        });
        expect({ attempt: i, errors: res.body.errors }).toEqual({ attempt: i, errors: undefined });
      }
      const before = await limited.head();
      const sixth = await client.call('POST', '/graphql', {
        query: LOGIN,
        variables: { username, password: STRONG_PASSWORD },
      });
      // Either the HTTP status says so, or the GraphQL error does.
      const refused = sixth.status === 429 || sixth.body?.errors?.[0]?.extensions?.code === 'RATE_LIMITED';
      expect({ refused, status: sixth.status, errors: sixth.body?.errors ?? 'none: tokens were issued' }).toEqual(
        expect.objectContaining({ refused: true }),
      );
      expect(await appendedSince(limited, before)).toEqual([]);
    } finally {
      await limited.close();
    }
  });
});
