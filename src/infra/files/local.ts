import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { assertStoredName, FileNotFoundError, type FileStore } from './port.js';

const TEMP_PREFIX = '.tmp-';

/**
 * Files in one directory (`<DATA_DIR>/files`). A write goes to a temporary file in the same directory,
 * is flushed to disk, then renamed over the name: a crash leaves the old file or the new one, never a
 * torn one, and a reader never sees a partial write.
 */
export class LocalFileStore implements FileStore {
  private ready: Promise<unknown> | null = null;

  constructor(private readonly dir: string) {}

  private pathOf(name: string): string {
    assertStoredName(name);
    if (name.startsWith(TEMP_PREFIX)) throw new Error(`Invalid stored file name "${name}".`);
    return path.join(this.dir, name);
  }

  private ensureDir(): Promise<unknown> {
    return (this.ready ??= mkdir(this.dir, { recursive: true }));
  }

  async put(name: string, bytes: Buffer): Promise<void> {
    const target = this.pathOf(name);
    await this.ensureDir();
    const temp = path.join(this.dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    try {
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async get(name: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new FileNotFoundError(name);
      throw err;
    }
  }

  async remove(name: string): Promise<void> {
    try {
      await unlink(this.pathOf(name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  async exists(name: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(name))).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }
}
