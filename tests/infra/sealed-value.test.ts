/** Sealed values (infra/eventstore/sealed-value.ts): fresh IVs, and a value that opens only where it was sealed. */
import { randomBytes } from 'node:crypto';
import { freshIv, open, seal, sealContext } from '../../src/infra/eventstore/sealed-value.js';

describe('sealed values', () => {
  const key = randomBytes(32);

  it('given many values sealed in a row, when their IVs are compared, then no two are the same', () => {
    // More than one draw of the IV pool, so a pool handed out twice would show.
    const ivs = Array.from({ length: 2000 }, (_, i) => seal(key, 'user-1', sealContext(`e${i}`, 'metadata.ip'), i).iv);
    expect(new Set(ivs).size).toBe(ivs.length);
    expect(Buffer.from(ivs[0]!, 'base64')).toHaveLength(12);
  });

  it('given an IV handed out, when more are drawn, then the one handed out is not overwritten', () => {
    const first = freshIv();
    const copy = Buffer.from(first);
    for (let i = 0; i < 1000; i++) freshIv();
    expect(first.equals(copy)).toBe(true);
  });

  it('given a value sealed for an event field, when opened with the same key and context, then it reads as it was', () => {
    const sealed = seal(key, 'user-1', sealContext('e1', 'prompt'), { text: 'hello' });
    expect(open(key, sealContext('e1', 'prompt'), sealed)).toEqual({ text: 'hello' });
    expect(() => open(key, sealContext('e2', 'prompt'), sealed)).toThrow();
  });
});
