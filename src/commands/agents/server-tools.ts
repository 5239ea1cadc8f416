import type { AgentToolSpec } from '../../ai/llm/agent-port.js';
import { countTokens, truncateToTokens } from '../../ai/prompt/tokens.js';
import type { SERVER_TOOL_NAMES } from '../../domain/agents/tools.js';
import type { WorkspaceSettings } from '../../domain/workspaces/settings.js';
import type { AgentDeps } from './deps.js';

type ServerToolName = (typeof SERVER_TOOL_NAMES)[number];

/** Most hits one search_documents call may ask for. */
const MAX_TOP_N = 20;

export const SERVER_TOOLS: readonly (AgentToolSpec & { name: ServerToolName })[] = [
  {
    name: 'search_documents',
    description:
      "Searches the workspace's documents and returns the passages most relevant to the query, best first, as JSON {results: [{document_id, filename, chunk, text, score}]}.",
    parameters: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'What to look for, in words.' },
        top_n: { type: 'integer', minimum: 1, maximum: MAX_TOP_N, description: 'How many passages at most.' },
      },
      required: ['query'],
    },
  },
  {
    name: 'list_documents',
    description: "Lists the workspace's documents as JSON {documents: [{document_id, filename, status, chunk_count}]}.",
    parameters: { type: 'object', properties: {} },
  },
  {
    name: 'read_document',
    description:
      'Returns the text of one document of the workspace as JSON {document_id, filename, text, truncated}; long documents are cut.',
    parameters: {
      type: 'object',
      properties: { document_id: { type: 'integer', description: 'The id list_documents or search_documents gave.' } },
      required: ['document_id'],
    },
  },
];

export const isServerTool = (name: string): name is ServerToolName => SERVER_TOOLS.some((t) => t.name === name);

/** A tool's failure the model is told about (its text goes back as the tool's error result). */
export class ToolFailure extends Error {}

export interface ServerToolScope {
  workspaceId: number;
  settings: WorkspaceSettings;
}

/**
 * Runs one server tool for the invoking user's workspace and answers its result as JSON text; a bad
 * argument or unknown document is a ToolFailure, which the model reads as the tool's error.
 */
export async function runServerTool(
  deps: Pick<AgentDeps, 'knowledge' | 'agentDocuments' | 'promptBudget'>,
  scope: ServerToolScope,
  name: ServerToolName,
  args: Record<string, unknown>,
): Promise<string> {
  switch (name) {
    case 'search_documents': {
      const { query, top_n: topN } = args;
      if (typeof query !== 'string' || query.trim() === '') throw new ToolFailure('query must be a non-empty string.');
      if (topN !== undefined && (!Number.isInteger(topN) || (topN as number) < 1))
        throw new ToolFailure('top_n must be a positive integer.');
      const hits = await deps.knowledge.search(scope.workspaceId, query, {
        topN: Math.min((topN as number | undefined) ?? Math.max(scope.settings.topN, 1), MAX_TOP_N),
        threshold: scope.settings.similarityThreshold,
      });
      // Passages within the same budget a chat's retrieved context has.
      let left = deps.promptBudget.contextTokens;
      const results = [];
      for (const hit of hits) {
        const tokens = countTokens(hit.text);
        if (tokens > left) break;
        left -= tokens;
        results.push({
          document_id: hit.documentId,
          filename: hit.filename,
          chunk: hit.chunkIndex,
          text: hit.text,
          score: hit.score,
        });
      }
      return JSON.stringify({ results });
    }
    case 'list_documents': {
      const documents = await deps.agentDocuments.list(scope.workspaceId);
      return JSON.stringify({
        documents: documents.map((d) => ({
          document_id: d.id,
          filename: d.filename,
          status: d.status,
          chunk_count: d.chunkCount,
        })),
      });
    }
    case 'read_document': {
      const id = args.document_id;
      if (!Number.isInteger(id) || (id as number) < 1) throw new ToolFailure('document_id must be a positive integer.');
      const doc = await deps.agentDocuments.text(scope.workspaceId, id as number);
      if (!doc) throw new ToolFailure(`No ready document ${id} in this workspace.`);
      // As much of it as a pinned document may put into a prompt.
      const { text, truncated } = truncateToTokens(doc.text, deps.promptBudget.pinnedTokens);
      return JSON.stringify({ document_id: id, filename: doc.filename, text, truncated });
    }
  }
}

/** The agent_message that reports a server tool's run to the client, naming the tool. */
export function serverToolNote(name: ServerToolName, answer: { result: string | null; error: string | null }): string {
  if (answer.error !== null) return `${name} failed: ${answer.error}`;
  const result = JSON.parse(answer.result ?? '{}');
  switch (name) {
    case 'search_documents':
      return `${name}: found ${result.results.length} passage${result.results.length === 1 ? '' : 's'}.`;
    case 'list_documents':
      return `${name}: ${result.documents.length} document${result.documents.length === 1 ? '' : 's'}.`;
    case 'read_document':
      return `${name}: read ${result.filename}${result.truncated ? ' (cut to fit)' : ''}.`;
  }
}
