/**
 * The auditor's REST endpoints over real HTTP against a real server (embedded adapters): the signed
 * head of the hash chain and its public key, and the event log exported as NDJSON or CSV, streamed.
 */
import { createPublicKey, randomUUID, verify } from 'node:crypto';
import { signedHeadMessage } from '../../src/audit/signed-head.js';
import { GENESIS_HASH, chainHash } from '../../src/infra/eventstore/port.js';
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';
import { systemEvent } from '../support/events.js';

const NO_CREDENTIALS = { detail: 'Authentication credentials were not provided.' };
const FORBIDDEN = { detail: 'You do not have permission to perform this action.' };

let server: TestServer;
let admin: string;
let member: string;

const event = systemEvent;

async function exported(query: string, token = admin) {
  const res = await fetch(`${server.url}/api/system/events/export/${query}`, { headers: bearer(token) });
  return { res, text: await res.text() };
}
const ndjson = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

beforeAll(async () => {
  server = await startTestServer();
  admin = (await registerAndLogin(server, 'auditroot')).access;
  member = (await registerAndLogin(server, 'auditmember')).access;
  await api(server, 'POST', '/api/workspaces/', { name: 'Audited' }, bearer(admin));
});
afterAll(() => server.close());

describe('GET /api/system/audit/head/', () => {
  it('given an admin, then it answers the head position and hash, signed with the Ed25519 key whose public key it publishes', async () => {
    const head = await api(server, 'GET', '/api/system/audit/head/', undefined, bearer(admin));
    expect(head.status).toBe(200);
    expect(head.body.position).toBe(await server.head());
    expect(head.body.hash).toMatch(/^[0-9a-f]{64}$/);
    const key = await fetch(`${server.url}/api/system/audit/public-key/`, { headers: bearer(admin) });
    expect(key.status).toBe(200);
    const pem = await key.text();
    expect(pem).toContain('BEGIN PUBLIC KEY');

    const { position, hash, signed_at, signature } = head.body;
    const publicKey = createPublicKey(pem);
    expect(
      verify(null, signedHeadMessage(position, hash, signed_at), publicKey, Buffer.from(signature, 'base64')),
    ).toBe(true);
    // A receipt for another head does not verify with that signature.
    expect(
      verify(null, signedHeadMessage(position - 1, hash, signed_at), publicKey, Buffer.from(signature, 'base64')),
    ).toBe(false);

    // The head's hash is the last link of the exported chain.
    const lines = ndjson((await exported('')).text);
    expect(lines[lines.length - 1]).toMatchObject({ position, hash });
  });

  it('given no credentials then 401, given a non-admin then 403', async () => {
    for (const path of ['/api/system/audit/head/', '/api/system/audit/public-key/', '/api/system/events/export/']) {
      expect(await api(server, 'GET', path)).toMatchObject({ status: 401, body: NO_CREDENTIALS });
      expect(await api(server, 'GET', path, undefined, bearer(member))).toMatchObject({ status: 403, body: FORBIDDEN });
    }
  });
});

describe('GET /api/system/events/export/', () => {
  it('given no filter, then every event comes, one NDJSON line each, chained from genesis', async () => {
    const { res, text } = await exported('?format=ndjson');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = ndjson(text);
    expect(lines.map((l) => l.position)).toEqual(Array.from({ length: lines.length }, (_, i) => i + 1));
    expect(lines.length).toBe(await server.head());
    let previous = GENESIS_HASH;
    for (const l of lines) {
      expect(l.hash).toBe(
        chainHash(previous, { ...l, data: JSON.stringify(l.data), metadata: JSON.stringify(l.metadata) }),
      );
      previous = l.hash;
    }
    expect(lines.find((l) => l.type === 'UserRegistered')).toMatchObject({
      event: 'user_created',
      stream: expect.any(String),
      revision: expect.any(Number),
    });
  });

  it('given type, stream prefix and position bounds, then only the events within them come', async () => {
    const all = ndjson((await exported('')).text);
    const registered = ndjson((await exported('?type=UserRegistered')).text);
    expect(registered.map((l) => l.id)).toEqual(all.filter((l) => l.type === 'UserRegistered').map((l) => l.id));
    expect(registered.length).toBeGreaterThan(0);

    const prefix = all.find((l) => l.type === 'WorkspaceCreated')!.stream.split('-')[0];
    const ofPrefix = ndjson((await exported(`?stream_prefix=${prefix}-`)).text);
    expect(ofPrefix.map((l) => l.position)).toEqual(
      all.filter((l) => l.stream.startsWith(`${prefix}-`)).map((l) => l.position),
    );

    const window = ndjson((await exported('?from=2&to=4')).text);
    expect(window.map((l) => l.position)).toEqual([2, 3, 4]);
    const since = ndjson((await exported(`?from=${encodeURIComponent(all[3].time)}`)).text);
    expect(since.map((l) => l.position)).toEqual(all.filter((l) => l.time >= all[3].time).map((l) => l.position));
  });

  it('given format=csv, then a header and one row per event, JSON cells quoted', async () => {
    const { res, text } = await exported('?format=csv&to=2');
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = text.trim().split('\n');
    expect(rows[0]).toBe('position,id,stream,revision,type,event,data,metadata,time,hash');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatch(/^1,/);
  });

  it('given a bad filter, then 400 in the documented shape and nothing is appended', async () => {
    const before = await server.head();
    const res = await api(
      server,
      'GET',
      '/api/system/events/export/?format=xml&from=yesterday',
      undefined,
      bearer(admin),
    );
    expect(res).toMatchObject({
      status: 400,
      body: { error: 'Validation failed.', field_errors: { format: expect.any(Array), from: expect.any(Array) } },
    });
    expect(await server.head()).toBe(before);
  });

  it('given a log larger than the client reads, then the server reads it only as fast as the client takes it', async () => {
    const text = 'x'.repeat(100_000);
    for (let i = 0; i < 20; i++) {
      await server.deps.store.appendToStream(
        `bulk-${randomUUID()}`,
        Array.from({ length: 10 }, (_, n) => event('BulkWritten', { n, text })),
        'no_stream',
      );
    }
    const store = server.deps.store;
    const readStored = store.readStored!.bind(store);
    let pagesRead = 0;
    store.readStored = async (options) => {
      pagesRead += 1;
      return readStored(options);
    };
    try {
      const res = await fetch(`${server.url}/api/system/events/export/?type=BulkWritten`, { headers: bearer(admin) });
      const reader = res.body!.getReader();
      await reader.read(); // the first chunk, then the client stops reading
      let seen = -1;
      while (seen !== pagesRead) {
        // until the server has stopped reading ahead
        seen = pagesRead;
        await new Promise((r) => setTimeout(r, 200));
      }
      // 200 events of 100 kB in pages of 32 are 7 pages: held back by the socket, the server has not read them all.
      expect(pagesRead).toBeLessThan(7);
      await reader.cancel();
    } finally {
      delete (store as { readStored?: unknown }).readStored;
    }
  });
});
