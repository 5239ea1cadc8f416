import type { SearchHit, SearchOptions } from '../../../src/ai/retrieval/bm25-index.js';
import type { PinnedDocument, WorkspaceKnowledge } from '../../../src/ai/retrieval/port.js';
import { assemblePrompt, DEFAULT_SYSTEM_PROMPT } from '../../../src/ai/prompt/assemble.js';
import { countTokens } from '../../../src/ai/prompt/tokens.js';
import { DEFAULT_WORKSPACE_SETTINGS, type WorkspaceSettings } from '../../../src/domain/workspaces/settings.js';

/** A workspace's knowledge as the port promises it: hits at or above the threshold, best first, at most topN. */
class KnowledgeDouble implements WorkspaceKnowledge {
  readonly searches: { workspaceId: number; query: string; options: SearchOptions }[] = [];
  constructor(
    private readonly hits: SearchHit[] = [],
    private readonly pinnedDocs: PinnedDocument[] = [],
  ) {}

  async search(workspaceId: number, query: string, options: SearchOptions): Promise<SearchHit[]> {
    this.searches.push({ workspaceId, query, options });
    return this.hits
      .filter((h) => h.score >= options.threshold)
      .sort((a, b) => b.score - a.score)
      .slice(0, options.topN);
  }

  async pinned(): Promise<PinnedDocument[]> {
    return this.pinnedDocs;
  }
}

const hit = (
  documentId: number,
  chunkIndex: number,
  score: number,
  text: string,
  filename = `doc${documentId}.md`,
): SearchHit => ({
  chunkId: `${documentId}:${chunkIndex}`,
  documentId,
  filename,
  chunkIndex,
  text,
  score,
});

const settings = (changes: Partial<WorkspaceSettings> = {}): WorkspaceSettings => ({
  ...DEFAULT_WORKSPACE_SETTINGS,
  ...changes,
});

const HITS = [
  hit(1, 0, 0.9, 'Refunds are paid within 14 days.', 'refunds.md'),
  hit(2, 3, 0.6, 'Returns need the original receipt.', 'returns.md'),
  hit(3, 1, 0.2, 'The canteen serves soup on Mondays.', 'canteen.md'),
];

describe('assemblePrompt', () => {
  it("puts the workspace's prompt and the chunks above the threshold in the system prompt, and lists them as context", async () => {
    const knowledge = new KnowledgeDouble(HITS);
    const result = await assemblePrompt({
      settings: settings({ openaiPrompt: 'You are the shop assistant.', topN: 4, similarityThreshold: 0.25 }),
      message: 'How long do refunds take?',
      history: [],
      knowledge,
      workspaceId: 7,
    });

    expect(knowledge.searches).toEqual([
      { workspaceId: 7, query: 'How long do refunds take?', options: { topN: 4, threshold: 0.25 } },
    ]);
    expect(result.refusal).toBeNull();
    expect(result.context).toEqual([
      { documentId: 1, filename: 'refunds.md', chunk: 0, text: 'Refunds are paid within 14 days.', score: 0.9 },
      { documentId: 2, filename: 'returns.md', chunk: 3, text: 'Returns need the original receipt.', score: 0.6 },
    ]);
    expect(result.messages).toEqual([
      {
        role: 'system',
        content:
          'You are the shop assistant.\n\nContext:\n' +
          '[CONTEXT 0] refunds.md, chunk 0\nRefunds are paid within 14 days.\n[END CONTEXT 0]\n\n' +
          '[CONTEXT 1] returns.md, chunk 3\nReturns need the original receipt.\n[END CONTEXT 1]',
      },
      { role: 'user', content: 'How long do refunds take?' },
    ]);
  });

  it('keeps only topN chunks', async () => {
    const result = await assemblePrompt({
      settings: settings({ topN: 1, similarityThreshold: 0 }),
      message: 'refunds',
      history: [],
      knowledge: new KnowledgeDouble(HITS),
      workspaceId: 1,
    });
    expect(result.context.map((c) => c.documentId)).toEqual([1]);
  });

  it('falls back to the system default prompt, then to a built-in one', async () => {
    const base = { message: 'hi', history: [], knowledge: new KnowledgeDouble(), workspaceId: 1 };
    const fromSystem = await assemblePrompt({
      ...base,
      settings: settings({ openaiPrompt: '  ' }),
      defaultSystemPrompt: 'Be kind.',
    });
    expect(fromSystem.messages[0]).toEqual({ role: 'system', content: 'Be kind.' });
    const builtIn = await assemblePrompt({ ...base, settings: settings(), defaultSystemPrompt: null });
    expect(builtIn.messages[0]).toEqual({ role: 'system', content: DEFAULT_SYSTEM_PROMPT });
  });

  it('puts pinned documents whole before the retrieved chunks, and skips chunks of a document already given whole', async () => {
    const knowledge = new KnowledgeDouble(HITS, [
      {
        documentId: 1,
        filename: 'refunds.md',
        text: 'Refund policy.\nRefunds are paid within 14 days.\nNo cash refunds.',
      },
    ]);
    const result = await assemblePrompt({
      settings: settings(),
      message: 'refunds',
      history: [],
      knowledge,
      workspaceId: 1,
    });

    expect(result.context).toEqual([
      {
        documentId: 1,
        filename: 'refunds.md',
        chunk: null,
        text: 'Refund policy.\nRefunds are paid within 14 days.\nNo cash refunds.',
        score: 1,
      },
      { documentId: 2, filename: 'returns.md', chunk: 3, text: 'Returns need the original receipt.', score: 0.6 },
    ]);
    expect(result.messages[0].content).toContain(
      '[CONTEXT 0] refunds.md (pinned document)\nRefund policy.\nRefunds are paid within 14 days.\nNo cash refunds.\n[END CONTEXT 0]',
    );
  });

  it('truncates a pinned document that does not fit its budget, says so, and leaves out the ones after it', async () => {
    const long = Array.from({ length: 400 }, (_, i) => `Clause ${i} of the contract says something specific.`).join(
      ' ',
    );
    const knowledge = new KnowledgeDouble(
      [],
      [
        { documentId: 5, filename: 'contract.pdf', text: long },
        { documentId: 6, filename: 'annex.pdf', text: 'Annex text.' },
      ],
    );
    const result = await assemblePrompt({
      settings: settings(),
      message: 'contract',
      history: [],
      knowledge,
      workspaceId: 1,
      budget: { pinnedTokens: 500, contextTokens: 1000 },
    });

    expect(result.context).toHaveLength(1);
    const [passage] = result.context;
    expect(passage).toMatchObject({ documentId: 5, chunk: null, score: 1 });
    expect(long.startsWith(passage.text)).toBe(true);
    expect(countTokens(passage.text)).toBeLessThanOrEqual(500);
    expect(countTokens(passage.text)).toBeGreaterThan(400);
    const system = result.messages[0].content;
    expect(system).toContain('[CONTEXT 0] contract.pdf (pinned document, truncated)');
    expect(system).toContain('[... truncated: the rest of this pinned document did not fit in the prompt]');
    expect(system).toContain('(1 more pinned document did not fit in the prompt.)');
    expect(system).not.toContain('Annex text.');
  });

  it('drops retrieved chunks beyond the context budget, trying smaller lower-ranked ones', async () => {
    const big = hit(1, 0, 0.9, 'word '.repeat(300));
    const small = hit(2, 0, 0.5, 'A short relevant chunk.');
    const result = await assemblePrompt({
      settings: settings({ similarityThreshold: 0 }),
      message: 'word',
      history: [],
      knowledge: new KnowledgeDouble([big, small]),
      workspaceId: 1,
      budget: { pinnedTokens: 100, contextTokens: 100 },
    });
    expect(result.context.map((c) => c.documentId)).toEqual([2]);
  });

  it('adds the last chatHistory exchanges as user and assistant turns before the message', async () => {
    const history = [
      { prompt: 'First question', response: 'First answer' },
      { prompt: 'Failed question', response: '' },
      { prompt: 'Second question', response: 'Second answer' },
      { prompt: 'Third question', response: 'Third answer' },
    ];
    const result = await assemblePrompt({
      settings: settings({ chatHistory: 2 }),
      message: 'Fourth question',
      history,
      knowledge: new KnowledgeDouble(),
      workspaceId: 1,
    });
    expect(result.messages.slice(1)).toEqual([
      { role: 'user', content: 'Second question' },
      { role: 'assistant', content: 'Second answer' },
      { role: 'user', content: 'Third question' },
      { role: 'assistant', content: 'Third answer' },
      { role: 'user', content: 'Fourth question' },
    ]);

    const none = await assemblePrompt({
      settings: settings({ chatHistory: 0 }),
      message: 'Q',
      history,
      knowledge: new KnowledgeDouble(),
      workspaceId: 1,
    });
    expect(none.messages.slice(1)).toEqual([{ role: 'user', content: 'Q' }]);
  });

  it('in query mode without any context, answers the refusal instead', async () => {
    const result = await assemblePrompt({
      settings: settings({ chatMode: 'query', queryRefusalResponse: 'Not in the docs.', similarityThreshold: 0.95 }),
      message: 'refunds',
      history: [],
      knowledge: new KnowledgeDouble(HITS),
      workspaceId: 1,
    });
    expect(result.refusal).toBe('Not in the docs.');
    expect(result.context).toEqual([]);
  });

  it('in query mode with context, tells the model to answer only from it', async () => {
    const result = await assemblePrompt({
      settings: settings({ chatMode: 'query' }),
      message: 'refunds',
      history: [],
      knowledge: new KnowledgeDouble(HITS),
      workspaceId: 1,
    });
    expect(result.refusal).toBeNull();
    expect(result.messages[0].content).toContain('Answer only from the context below.');
  });

  it('in query mode, a pinned document alone is context enough', async () => {
    const result = await assemblePrompt({
      settings: settings({ chatMode: 'query' }),
      message: 'zebras',
      history: [],
      knowledge: new KnowledgeDouble([], [{ documentId: 9, filename: 'faq.md', text: 'Frequently asked questions.' }]),
      workspaceId: 1,
    });
    expect(result.refusal).toBeNull();
    expect(result.context).toHaveLength(1);
  });

  it('in chat mode without context, still asks the model (no refusal)', async () => {
    const result = await assemblePrompt({
      settings: settings(),
      message: 'Tell me a joke',
      history: [],
      knowledge: new KnowledgeDouble(),
      workspaceId: 1,
    });
    expect(result.refusal).toBeNull();
    expect(result.context).toEqual([]);
  });
});
