import { LLM_PROVIDERS } from '../system/settings.js';

/** A workspace's chat settings, as the API names them (camelCase here, snake_case on the wire). */
export interface WorkspaceSettings {
  chatMode: 'chat' | 'query';
  chatProvider: string | null;
  chatModel: string | null;
  openaiPrompt: string | null;
  openaiTemp: number;
  topN: number;
  similarityThreshold: number;
  chatHistory: number;
  queryRefusalResponse: string;
}

export const DEFAULT_WORKSPACE_SETTINGS: WorkspaceSettings = {
  chatMode: 'chat',
  chatProvider: null,
  chatModel: null,
  openaiPrompt: null,
  openaiTemp: 0.7,
  topN: 4,
  similarityThreshold: 0.25,
  chatHistory: 20,
  queryRefusalResponse: 'There is no relevant information in this workspace to answer your query.',
};

export const CHAT_MODES = ['chat', 'query'] as const;
export const CHAT_PROVIDERS = LLM_PROVIDERS;

/** Lower-case words joined by dashes, from any name; never empty. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug || 'workspace';
}

/** `slug`, then `slug-2`, `slug-3`, ... for names already taken. */
export const slugCandidate = (base: string, attempt: number) => (attempt === 0 ? base : `${base}-${attempt + 1}`);
