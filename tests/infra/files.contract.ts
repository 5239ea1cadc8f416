/** Contract every FileStore adapter must meet. */
import { randomBytes } from 'node:crypto';
import { FileNotFoundError, type FileStore } from '../../src/infra/files/port.js';

export function describeFileStoreContract(name: string, open: () => Promise<FileStore>): void {
  describe(`FileStore contract: ${name}`, () => {
    let files: FileStore;
    beforeEach(async () => {
      files = await open();
    });

    it('gives back exactly the bytes it was given, binary and empty alike', async () => {
      const binary = randomBytes(64 * 1024);
      await files.put('7-report.pdf', binary);
      await files.put('8-empty.txt', Buffer.alloc(0));
      expect((await files.get('7-report.pdf')).equals(binary)).toBe(true);
      expect((await files.get('8-empty.txt')).length).toBe(0);
    });

    it('keeps names with spaces and non-ASCII letters as given', async () => {
      await files.put('9-Überblick (v2).md', Buffer.from('# hi'));
      expect((await files.get('9-Überblick (v2).md')).toString()).toBe('# hi');
      expect(await files.exists('9-Überblick (v2).md')).toBe(true);
    });

    it('replaces a file put again under the same name', async () => {
      await files.put('1-a.txt', Buffer.from('first'));
      await files.put('1-a.txt', Buffer.from('second'));
      expect((await files.get('1-a.txt')).toString()).toBe('second');
    });

    it('tells whether a file exists, and forgets it once removed', async () => {
      expect(await files.exists('2-b.txt')).toBe(false);
      await files.put('2-b.txt', Buffer.from('b'));
      expect(await files.exists('2-b.txt')).toBe(true);
      await files.remove('2-b.txt');
      expect(await files.exists('2-b.txt')).toBe(false);
      await expect(files.get('2-b.txt')).rejects.toBeInstanceOf(FileNotFoundError);
    });

    it('removes a missing file without complaint (a retried delete)', async () => {
      await expect(files.remove('3-never.txt')).resolves.toBeUndefined();
    });

    it('answers FileNotFoundError for a file never stored', async () => {
      await expect(files.get('4-missing.txt')).rejects.toBeInstanceOf(FileNotFoundError);
    });

    it('refuses names that are paths', async () => {
      for (const bad of ['../escape.txt', 'a/b.txt', 'a\\b.txt', '..', '.', '', 'nul\0.txt']) {
        await expect(files.put(bad, Buffer.from('x'))).rejects.toThrow(/Invalid stored file name/);
        await expect(files.get(bad)).rejects.toThrow(/Invalid stored file name/);
        await expect(files.exists(bad)).rejects.toThrow(/Invalid stored file name/);
        await expect(files.remove(bad)).rejects.toThrow(/Invalid stored file name/);
      }
    });

    it('ends with one whole version when the same name is written concurrently', async () => {
      const versions = Array.from({ length: 8 }, (_, i) => Buffer.alloc(256 * 1024, i + 1));
      await Promise.all(versions.map((v) => files.put('5-race.bin', v)));
      const stored = await files.get('5-race.bin');
      expect(versions.some((v) => v.equals(stored))).toBe(true);
    });
  });
}
