import type { ChatMessage, ContextPassage } from '../llm/port.js';
import type { WorkspaceKnowledge } from '../retrieval/port.js';
import type { WorkspaceSettings } from '../../domain/workspaces/settings.js';
import { countTokens, truncateToTokens } from './tokens.js';

export interface PromptBudget {
  /** Tokens for pinned documents, given whole while they fit. */
  pinnedTokens: number;
  /** Tokens for retrieved chunks. */
  contextTokens: number;
}

export const DEFAULT_PROMPT_BUDGET: PromptBudget = { pinnedTokens: 8_000, contextTokens: 4_000 };

export const DEFAULT_SYSTEM_PROMPT =
  'Given the following conversation, relevant context, and a follow up question, reply with an answer to the current question the user is asking.';

export const DEFAULT_REFUSAL = 'There is no relevant information in this workspace to answer your query.';

const QUERY_MODE_RULE =
  'Answer only from the context below. If the context does not hold the answer, say that the documents of this workspace do not cover it.';

const TRUNCATION_NOTE = '[... truncated: the rest of this pinned document did not fit in the prompt]';
// Below this many tokens left, a further pinned document would be a stub: it is left out instead.
const MIN_USEFUL_PINNED_TOKENS = 64;

export interface PromptInput {
  settings: WorkspaceSettings;
  message: string;
  /** Earlier exchanges of the same conversation, oldest first. */
  history: { prompt: string; response: string }[];
  knowledge: WorkspaceKnowledge;
  workspaceId: number;
  /** The system setting default_system_prompt, used when the workspace has no prompt of its own. */
  defaultSystemPrompt?: string | null;
  budget?: PromptBudget;
}

export interface AssembledPrompt {
  messages: ChatMessage[];
  /** Every passage put into the prompt, pinned first, then retrieved best first: the chat's sources. */
  context: ContextPassage[];
  /** In query mode with no context: the text to answer instead of calling the model. */
  refusal: string | null;
}

/**
 * The prompt for one chat: system prompt, pinned documents (whole, within their token budget),
 * the topN chunks above the similarity threshold (within theirs), the last chatHistory exchanges,
 * then the message.
 */
export async function assemblePrompt(input: PromptInput): Promise<AssembledPrompt> {
  const { settings, message, knowledge, workspaceId } = input;
  const budget = input.budget ?? DEFAULT_PROMPT_BUDGET;
  const [pinnedDocuments, hits] = await Promise.all([
    knowledge.pinned(workspaceId),
    settings.topN > 0 && message.trim() !== ''
      ? knowledge.search(workspaceId, message, { topN: settings.topN, threshold: settings.similarityThreshold })
      : Promise.resolve([]),
  ]);

  const context: ContextPassage[] = [];
  const blocks: string[] = [];
  const fullyPinned = new Set<number>();
  let omittedPinned = 0;

  let pinnedLeft = budget.pinnedTokens;
  for (const doc of pinnedDocuments) {
    if (doc.text.trim() === '') continue;
    const whole = countTokens(doc.text);
    if (whole <= pinnedLeft) {
      pinnedLeft -= whole;
      fullyPinned.add(doc.documentId);
      context.push({ documentId: doc.documentId, filename: doc.filename, chunk: null, text: doc.text, score: 1 });
      blocks.push(block(context.length - 1, `${doc.filename} (pinned document)`, doc.text));
      continue;
    }
    const room = pinnedLeft - countTokens(TRUNCATION_NOTE) - 1;
    if (room < MIN_USEFUL_PINNED_TOKENS) {
      omittedPinned += 1;
      continue;
    }
    const cut = truncateToTokens(doc.text, room);
    pinnedLeft -= cut.tokens + countTokens(TRUNCATION_NOTE) + 1;
    context.push({ documentId: doc.documentId, filename: doc.filename, chunk: null, text: cut.text, score: 1 });
    blocks.push(
      block(context.length - 1, `${doc.filename} (pinned document, truncated)`, `${cut.text}\n${TRUNCATION_NOTE}`),
    );
  }

  let contextLeft = budget.contextTokens;
  for (const hit of hits) {
    if (fullyPinned.has(hit.documentId)) continue; // already in the prompt whole
    const tokens = countTokens(hit.text);
    if (tokens > contextLeft) continue; // a shorter, lower-ranked chunk may still fit
    contextLeft -= tokens;
    context.push({
      documentId: hit.documentId,
      filename: hit.filename,
      chunk: hit.chunkIndex,
      text: hit.text,
      score: hit.score,
    });
    blocks.push(block(context.length - 1, `${hit.filename}, chunk ${hit.chunkIndex}`, hit.text));
  }

  const refusal =
    settings.chatMode === 'query' && context.length === 0
      ? settings.queryRefusalResponse?.trim() || DEFAULT_REFUSAL
      : null;

  const messages: ChatMessage[] = [{ role: 'system', content: systemPrompt(input, blocks, omittedPinned) }];
  const exchanges = settings.chatHistory > 0 ? input.history.slice(-settings.chatHistory) : [];
  for (const { prompt, response } of exchanges) {
    if (!prompt.trim() || !response.trim()) continue; // a failed or empty exchange teaches the model nothing
    messages.push({ role: 'user', content: prompt }, { role: 'assistant', content: response });
  }
  messages.push({ role: 'user', content: message });
  return { messages, context, refusal };
}

function systemPrompt(input: PromptInput, blocks: string[], omittedPinned: number): string {
  const own = input.settings.openaiPrompt?.trim() || input.defaultSystemPrompt?.trim() || DEFAULT_SYSTEM_PROMPT;
  const parts = [own];
  if (input.settings.chatMode === 'query') parts.push(QUERY_MODE_RULE);
  if (blocks.length > 0) parts.push(`Context:\n${blocks.join('\n\n')}`);
  if (omittedPinned > 0) {
    parts.push(`(${omittedPinned} more pinned document${omittedPinned === 1 ? '' : 's'} did not fit in the prompt.)`);
  }
  return parts.join('\n\n');
}

function block(index: number, title: string, text: string): string {
  return `[CONTEXT ${index}] ${title}\n${text}\n[END CONTEXT ${index}]`;
}
