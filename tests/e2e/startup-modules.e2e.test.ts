/**
 * What the server loads before it can listen: none of the model SDKs or the tokenizer's tables,
 * each a few hundred ms of a start; they load when a chat, an embedding or a token count first needs them.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');
const HEAVY = /node_modules\/(openai|@anthropic-ai\/sdk|js-tiktoken)\//;

/** The heavy packages loaded once `script` has run in a fresh Node process on the built server. */
function heavyLoadedAfter(script: string): string[] {
  const out = execFileSync(
    process.execPath,
    ['-e', `${script}; console.log(JSON.stringify(Object.keys(require.cache)))`],
    { cwd: root, encoding: 'utf8' },
  );
  const loaded = JSON.parse(out.trim().split('\n').pop()!) as string[];
  return [...new Set(loaded.filter((f) => HEAVY.test(f)).map((f) => HEAVY.exec(f)![1]))];
}

describe('what a start loads', () => {
  it('given the built app, when its modules load, then no model SDK or tokenizer is among them', () => {
    expect(heavyLoadedAfter("require('./dist/app.js'); require('./dist/ai/prompt/tokens.js')")).toEqual([]);
  });

  it('given a token count, then the tokenizer loads, only its cl100k_base ranks', () => {
    const loaded = heavyLoadedAfter("console.log(require('./dist/ai/prompt/tokens.js').countTokens('hello world'))");
    expect(loaded).toEqual(['js-tiktoken']);
    const files = execFileSync(
      process.execPath,
      [
        '-e',
        "require('./dist/ai/prompt/tokens.js').countTokens('x'); console.log(Object.keys(require.cache).filter((f) => f.includes('js-tiktoken')).map((f) => f.split('js-tiktoken/')[1]).join(' '))",
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(files).not.toMatch(/dist\/index\.cjs/);
  });
});
