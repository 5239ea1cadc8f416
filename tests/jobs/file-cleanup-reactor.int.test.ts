import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { handleCommand } from '../../src/commands/shared/handle.js';
import { documentDecider } from '../../src/domain/documents/document.js';
import type { EventMetadata, EventStore } from '../../src/infra/eventstore/port.js';
import { SqliteEventStore } from '../../src/infra/eventstore/sqlite.js';
import { LocalFileStore } from '../../src/infra/files/local.js';
import { SqliteReadStore } from '../../src/infra/readstore/sqlite.js';
import { fileCleanupReactor, STORED_FILES } from '../../src/jobs/file-cleanup-reactor.js';
import { CHECKPOINTS } from '../../src/projections/shared/runner.js';
import { eventually } from '../infra/queue.contract.js';
import { commandCtx } from '../support/context.js';

const admin = { userId: 1, role: 'admin' as const };
const system: EventMetadata = {
  actorId: null,
  actorType: 'system',
  correlationId: 'test',
  causationId: null,
  ip: null,
  userAgent: null,
  schemaVersion: 1,
};

describe('file cleanup reactor', () => {
  let store: SqliteEventStore;
  let db: SqliteReadStore;
  let dir: string;
  let files: LocalFileStore;
  const errors: Error[] = [];

  beforeEach(() => {
    store = SqliteEventStore.open(':memory:');
    db = SqliteReadStore.open(':memory:');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-cleanup-'));
    files = new LocalFileStore(dir);
    errors.length = 0;
  });
  afterEach(async () => {
    await store.close();
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Given a document uploaded into `workspaceId`, its file stored. */
  async function uploaded(documentId: number, workspaceId: number) {
    const storedName = `${documentId}-notes.txt`;
    await files.put(storedName, Buffer.from(`document ${documentId}`));
    await handleCommand(
      store,
      `document-${documentId}`,
      documentDecider,
      {
        type: 'UploadDocument',
        actor: admin,
        now: new Date(),
        documentId,
        workspaceId,
        filename: 'notes.txt',
        storedName,
        mimeType: 'text/plain',
        format: 'txt',
        size: 10,
        metadata: {},
      },
      commandCtx(),
    );
    return storedName;
  }

  const deleteDocument = (documentId: number) =>
    handleCommand(
      store,
      `document-${documentId}`,
      documentDecider,
      { type: 'DeleteDocument', actor: admin, now: new Date() },
      commandCtx(),
    );
  const deleteWorkspace = (workspaceId: number) =>
    store.appendToStream(
      `workspace-${workspaceId}`,
      [
        {
          id: randomUUID(),
          type: 'WorkspaceDeleted',
          data: { workspaceId, slug: `w${workspaceId}`, at: new Date().toISOString() },
          metadata: system,
        },
      ],
      'any',
    );
  const exists = (name: string) => fs.existsSync(path.join(dir, name));
  /** Waits until the reactor has handled every event now in the log (its checkpoint moves after a whole batch). */
  async function caughtUp(reactor: { checkpoint(): Promise<number> }) {
    const head = await store.headPosition();
    for (let i = 0; i < 500 && (await reactor.checkpoint()) < head; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await reactor.checkpoint()).toBe(head);
  }

  it('given a deleted document and a deleted workspace, then their files go and the others stay; a redelivery changes nothing', async () => {
    const deletedDoc = await uploaded(1, 7);
    const kept = await uploaded(2, 7);
    const inGoneWorkspace = [await uploaded(3, 8), await uploaded(4, 8)];
    const elsewhere = await uploaded(5, 9);
    await deleteDocument(1);
    await deleteWorkspace(8);

    const reactor = fileCleanupReactor(store, db.collection(CHECKPOINTS), db.collection(STORED_FILES), files, (err) =>
      errors.push(err),
    );
    await reactor.start();
    try {
      await eventually(
        () => !exists(deletedDoc) && inGoneWorkspace.every((n) => !exists(n)),
        () => `files left: ${fs.readdirSync(dir).join(', ')}`,
      );
      expect(exists(kept)).toBe(true);
      expect(exists(elsewhere)).toBe(true);

      // Live: a later deletion too.
      await deleteDocument(2);
      await eventually(
        () => !exists(kept),
        () => `files left: ${fs.readdirSync(dir).join(', ')}`,
      );
    } finally {
      await reactor.stop();
    }

    // From scratch (its checkpoint lost): the same events again, with the files already gone, are no error.
    await db.collection(CHECKPOINTS).deleteMany({});
    const again = fileCleanupReactor(store, db.collection(CHECKPOINTS), db.collection(STORED_FILES), files, (err) =>
      errors.push(err),
    );
    await again.start();
    try {
      await caughtUp(again);
      expect(errors).toEqual([]);
      expect(fs.readdirSync(dir).sort()).toEqual([elsewhere]);
    } finally {
      await again.stop();
    }
  });

  it('given a workspace deleted after a long history, then its files are found without reading the log (its own read model)', async () => {
    const gone = [await uploaded(1, 8), await uploaded(2, 8)];
    const kept = await uploaded(3, 9);
    const reads: unknown[] = [];
    // Reading the log outside the subscription (readAll, readStream) would grow with the log: none is allowed.
    const watched = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'readAll' || prop === 'readStream')
          return (...args: unknown[]) => {
            reads.push(args);
            return (target as any)[prop](...args);
          };
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as EventStore;
    const reactor = fileCleanupReactor(watched, db.collection(CHECKPOINTS), db.collection(STORED_FILES), files, (err) =>
      errors.push(err),
    );
    await reactor.start();
    try {
      await caughtUp(reactor);
      await deleteWorkspace(8);
      // Its files go before its rows: wait for the whole event, not only the files.
      await caughtUp(reactor);
      expect(gone.filter(exists)).toEqual([]);
      expect(exists(kept)).toBe(true);
      expect(reads).toEqual([]);
      expect(await db.collection(STORED_FILES).find({})).toEqual([
        expect.objectContaining({ _id: '3', workspaceId: 9, storedName: kept }),
      ]);
    } finally {
      await reactor.stop();
    }
  });
});
