import { getEncoding } from 'js-tiktoken';
import { countTokens, truncateToTokens } from '../../../src/ai/prompt/tokens.js';

describe('prompt tokens (cl100k_base)', () => {
  it('counts tokens as OpenAI models do', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('hello world')).toBe(2);
    const long = 'The quick brown fox jumps over the lazy dog. '.repeat(20);
    expect(countTokens(long)).toBe(countTokens(long)); // memoised answer equals the first
    expect(countTokens(long)).toBe(201); // 10 per sentence, and the trailing space
  });

  it('counts exactly as js-tiktoken’s cl100k_base encoding', () => {
    const reference = getEncoding('cl100k_base');
    for (const text of ['hello world', 'naïve café — 東京 🦊', 'x'.repeat(300), '  \n\tindent\n'.repeat(40)]) {
      expect([text, countTokens(text)]).toEqual([text, reference.encode(text).length]);
    }
  });

  it('keeps a text that fits whole', () => {
    expect(truncateToTokens('hello world', 5)).toEqual({ text: 'hello world', tokens: 2, truncated: false });
  });

  it('cuts a text to the budget at a token boundary', () => {
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(20);
    const cut = truncateToTokens(text, 10);
    expect(cut).toEqual({ text: 'The quick brown fox jumps over the lazy dog.', tokens: 10, truncated: true });
    expect(truncateToTokens(text, 0)).toEqual({ text: '', tokens: 0, truncated: true });
  });

  it('never leaves half a character at the cut', () => {
    const cut = truncateToTokens('🦊🦊🦊🦊', 3);
    expect(cut.truncated).toBe(true);
    expect(cut.text).not.toContain('\uFFFD');
    expect('🦊🦊🦊🦊'.startsWith(cut.text)).toBe(true);
  });
});
