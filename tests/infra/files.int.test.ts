import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalFileStore } from '../../src/infra/files/local.js';
import { describeFileStoreContract } from './files.contract.js';

const dirs: string[] = [];
const freshDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chronicle-files-'));
  dirs.push(dir);
  return path.join(dir, 'files'); // not there yet: the store creates it on first write
};
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describeFileStoreContract('local directory', async () => new LocalFileStore(freshDir()));

describe('LocalFileStore', () => {
  it('keeps each file under its name in its directory and leaves no temporary file behind', async () => {
    const dir = freshDir();
    const files = new LocalFileStore(dir);
    await Promise.all([
      files.put('1-a.txt', Buffer.from('a')),
      files.put('1-a.txt', Buffer.from('b')),
      files.put('2-c.txt', Buffer.from('c')),
    ]);
    expect(fs.readdirSync(dir).sort()).toEqual(['1-a.txt', '2-c.txt']);
    expect(fs.readFileSync(path.join(dir, '2-c.txt'), 'utf8')).toBe('c');
  });

  it('never writes outside its directory', async () => {
    const dir = freshDir();
    const files = new LocalFileStore(dir);
    await expect(files.put('../outside.txt', Buffer.from('x'))).rejects.toThrow();
    expect(fs.existsSync(path.join(dir, '..', 'outside.txt'))).toBe(false);
  });
});
