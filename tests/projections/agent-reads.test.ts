import { joinChunks } from '../../src/projections/documents/agent-reads.js';

describe('a document text rebuilt from its chunks (read_document)', () => {
  const source = 'Alpha beta gamma. Delta epsilon zeta. Eta theta.';
  const chunk = (start: number, end: number) => ({ start, text: source.slice(start, end) });

  it('drops the overlap between consecutive chunks', () =>
    expect(joinChunks([chunk(0, 25), chunk(18, 37), chunk(30, source.length)])).toBe(source));

  it('puts one space where whitespace between two chunks was trimmed', () =>
    expect(joinChunks([chunk(0, 17), chunk(18, source.length)])).toBe(source));

  it('answers nothing for no chunks', () => expect(joinChunks([])).toBe(''));
});
