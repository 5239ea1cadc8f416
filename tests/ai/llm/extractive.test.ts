import { composeAnswer, ExtractiveAnswerer, NOTHING_FOUND } from '../../../src/ai/llm/extractive.js';
import type { CompletionRequest, ContextPassage } from '../../../src/ai/llm/port.js';
import { collect } from '../../support/llm-streams.js';

const HANDBOOK: ContextPassage = {
  documentId: 1,
  filename: 'handbook.md',
  chunk: 2,
  score: 0.8,
  text: 'Our office opens at nine. Refunds are paid within 14 days of the return. A refund needs the original receipt. Parking is free on weekends.',
};
const MENU: ContextPassage = {
  documentId: 2,
  filename: 'menu.txt',
  chunk: 0,
  score: 0.3,
  text: 'The canteen serves soup on Mondays.\nDesserts change weekly.',
};

function request(
  question: string,
  context: ContextPassage[],
  signal = new AbortController().signal,
): CompletionRequest {
  return {
    model: null,
    temperature: 0,
    messages: [
      { role: 'system', content: 'sys' },
      { role: 'user', content: question },
    ],
    context,
    signal,
  };
}

describe('extractive answerer', () => {
  it("quotes the sentences that match the question, under their document's name, in their own order", () => {
    expect(composeAnswer('How long until refunds are paid, and do I need a receipt?', [MENU, HANDBOOK])).toBe(
      'From handbook.md:\nRefunds are paid within 14 days of the return. A refund needs the original receipt.',
    );
  });

  it('quotes several documents, the best matching first', () => {
    const answer = composeAnswer('soup on Mondays, and refunds?', [HANDBOOK, MENU]);
    expect(answer).toMatch(
      /^From menu\.txt:\nThe canteen serves soup on Mondays\.\n\nFrom handbook\.md:\nRefunds are paid/,
    );
    expect(answer).not.toContain('Desserts');
  });

  it('says plainly that nothing was found when there is no context', () => {
    expect(composeAnswer('What is the refund policy?', [])).toBe(NOTHING_FOUND);
  });

  it("says when the passages it was given do not use the question's words", () => {
    const answer = composeAnswer('zebra migration', [HANDBOOK]);
    expect(answer).toBe(
      "None of the workspace's documents use the words of your question; these are the passages it was given:\n\n" +
        'From handbook.md:\nOur office opens at nine. Refunds are paid within 14 days of the return.',
    );
  });

  it('streams the answer word by word; the tokens join to the answer', async () => {
    const tokens = await collect(new ExtractiveAnswerer().stream(request('refund receipt', [HANDBOOK])));
    expect(tokens.length).toBeGreaterThan(5);
    expect(tokens.join('')).toBe(composeAnswer('refund receipt', [HANDBOOK]));
    expect(tokens.slice(0, 3)).toEqual(['From ', 'handbook.md:\n', 'Refunds ']);
  });

  it('stops when the signal aborts', async () => {
    const long: ContextPassage = {
      ...HANDBOOK,
      text: Array.from({ length: 50 }, (_, i) => `Refund rule ${i} applies to every refund.`).join(' '),
    };
    const controller = new AbortController();
    const tokens: string[] = [];
    for await (const token of new ExtractiveAnswerer().stream(request('refund rule', [long], controller.signal))) {
      tokens.push(token);
      if (tokens.length === 4) controller.abort();
    }
    expect(tokens).toHaveLength(4);
  });
});
