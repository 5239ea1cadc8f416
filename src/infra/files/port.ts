/**
 * Where uploaded files are kept. Names are chosen by Chronicle (`<documentId>-<sanitised name>`),
 * never taken from a client path. Adapters: a local directory (embedded and compose volume).
 */
export interface FileStore {
  /** Stores the bytes under `name`, replacing any earlier file of that name; readers never see half a file. */
  put(name: string, bytes: Buffer): Promise<void>;
  /** The bytes stored under `name`; rejects with FileNotFoundError when there are none. */
  get(name: string): Promise<Buffer>;
  /** Removes the file; removing a file that is not there is not an error (deletes are retried). */
  remove(name: string): Promise<void>;
  exists(name: string): Promise<boolean>;
}

export class FileNotFoundError extends Error {
  constructor(readonly fileName: string) {
    super(`No stored file named "${fileName}".`);
    this.name = 'FileNotFoundError';
  }
}

/** Stored names are one plain path segment: no separators, no `.`/`..`, no NUL. */
export function assertStoredName(name: string): void {
  if (!name || name === '.' || name === '..' || /[/\\\0]/.test(name) || Buffer.byteLength(name) > 255) {
    throw new Error(`Invalid stored file name "${name}".`);
  }
}
