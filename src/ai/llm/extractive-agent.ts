import type { AgentMessage, AgentModel, AgentToolCall, AgentTurn, AgentTurnRequest } from './agent-port.js';
import { composeAnswer, ExtractiveAnswerer } from './extractive.js';
import type { ContextPassage } from './port.js';

/** The server tool the extractive agent knows how to use. */
export const SEARCH_TOOL = 'search_documents';

/**
 * The agent used when no language model is configured. It plans deterministically: if the workspace
 * search is offered and has not answered since the user's last message, it searches for that message;
 * once results are in, it answers from their passages as the extractive answerer answers a chat. It
 * is the extractive chat answerer too, so one instance serves both ports.
 */
export class ExtractiveAgent extends ExtractiveAnswerer implements AgentModel {
  async turn(request: AgentTurnRequest): Promise<AgentTurn> {
    if (request.signal.aborted) return { text: '', toolCalls: [], usage: null };
    const lastUser = request.messages.findLastIndex((m) => m.role === 'user');
    const question = lastUser >= 0 ? (request.messages[lastUser] as { content: string }).content : '';
    const since = request.messages.slice(lastUser + 1);

    const searches = new Set(
      since
        .flatMap((m) => (m.role === 'assistant' ? m.toolCalls : []))
        .flatMap((c) => (c.name === SEARCH_TOOL ? [c.id] : [])),
    );
    const results = since.filter(
      (m): m is Extract<AgentMessage, { role: 'tool' }> => m.role === 'tool' && searches.has(m.callId),
    );
    const offered = request.tools.some((t) => t.name === SEARCH_TOOL);

    if (results.length === 0 && offered && question.trim() !== '') {
      const turnsSoFar = request.messages.filter((m) => m.role === 'assistant').length;
      const call: AgentToolCall = { id: `search_${turnsSoFar + 1}`, name: SEARCH_TOOL, arguments: { query: question } };
      return { text: '', toolCalls: [call], usage: null };
    }
    const passages = results.flatMap((r) => (r.isError ? [] : passagesOf(r.content)));
    return { text: composeAnswer(question, passages), toolCalls: [], usage: null };
  }
}

/**
 * The passages of a search_documents result, `{"results":[{document_id, filename, chunk, text, score}]}`.
 * Whatever is not of that shape (bad JSON, a missing text) is left out rather than failing the answer.
 */
export function passagesOf(result: string): ContextPassage[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(result);
  } catch {
    return [];
  }
  const items = (parsed as { results?: unknown } | null)?.results;
  if (!Array.isArray(items)) return [];
  return items.flatMap((item: Record<string, unknown> | null): ContextPassage[] => {
    if (!item || typeof item !== 'object' || typeof item.text !== 'string') return [];
    return [
      {
        documentId: typeof item.document_id === 'number' ? item.document_id : 0,
        filename: typeof item.filename === 'string' && item.filename ? item.filename : 'a document',
        chunk: typeof item.chunk === 'number' ? item.chunk : null,
        text: item.text,
        score: typeof item.score === 'number' ? item.score : 0,
      },
    ];
  });
}
