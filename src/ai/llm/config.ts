import { LLM_PROVIDERS } from '../../domain/system/settings.js';

export type LlmProviderName = (typeof LLM_PROVIDERS)[number];

/** An OpenAI-compatible endpoint (OpenAI, Azure OpenAI, Ollama, vLLM, LM Studio, LocalAI...). */
export interface OpenAiConfig {
  apiKey: string | null;
  /** Up to and including the API version path, e.g. http://localhost:11434/v1. */
  baseUrl: string | null;
  model: string;
}

export interface AnthropicConfig {
  apiKey: string | null;
  baseUrl: string | null;
  model: string;
  /** The Messages API needs an upper bound on the answer's length. */
  maxTokens: number;
}

export interface LlmConfig {
  /** The server-wide provider; a workspace's chat_provider overrides it. */
  provider: LlmProviderName;
  openai: OpenAiConfig;
  anthropic: AnthropicConfig;
  /** Longest wait for the first byte of an answer and between two tokens. */
  timeoutMs: number;
  /** Retries of a failed request before any token arrived (0: fail fast, the user may resend). */
  maxRetries: number;
  /** Token budgets of the prompt's context: pinned documents whole, then retrieved chunks. */
  pinnedTokens: number;
  contextTokens: number;
}

type Env = Record<string, string | undefined>;

export const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini';
export const DEFAULT_ANTHROPIC_MODEL = 'claude-sonnet-4-5';

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

/** Whether a provider has what it needs to be called (the extractive answerer needs nothing). */
export function isConfigured(config: LlmConfig, provider: LlmProviderName): boolean {
  if (provider === 'openai') return Boolean(config.openai.apiKey || config.openai.baseUrl);
  if (provider === 'anthropic') return Boolean(config.anthropic.apiKey);
  return true;
}

export function missingConfiguration(provider: LlmProviderName): string {
  return provider === 'openai'
    ? 'The openai provider is not configured: set OPENAI_API_KEY, or OPENAI_BASE_URL for a local endpoint.'
    : `The ${provider} provider is not configured: set ANTHROPIC_API_KEY.`;
}

/**
 * LLM_PROVIDER picks the server-wide provider (unset: the extractive answerer). LLM_MODEL is that
 * provider's default model; OPENAI_MODEL / ANTHROPIC_MODEL name each provider's own default and win.
 * A server-wide provider without its key fails start-up rather than every chat.
 */
export function loadLlmConfig(env: Env): LlmConfig {
  const provider = (env.LLM_PROVIDER || 'extractive').trim().toLowerCase();
  if (!(LLM_PROVIDERS as readonly string[]).includes(provider)) {
    throw new Error(`LLM_PROVIDER must be one of ${LLM_PROVIDERS.join(', ')}, got "${env.LLM_PROVIDER}"`);
  }
  const name = provider as LlmProviderName;
  const shared = (own: string) => (name === own ? env.LLM_MODEL || null : null);
  const config: LlmConfig = {
    provider: name,
    openai: {
      apiKey: env.OPENAI_API_KEY || null,
      baseUrl: env.OPENAI_BASE_URL || null,
      model: env.OPENAI_MODEL || shared('openai') || DEFAULT_OPENAI_MODEL,
    },
    anthropic: {
      apiKey: env.ANTHROPIC_API_KEY || null,
      baseUrl: env.ANTHROPIC_BASE_URL || null,
      model: env.ANTHROPIC_MODEL || shared('anthropic') || DEFAULT_ANTHROPIC_MODEL,
      maxTokens: positiveInt(env, 'ANTHROPIC_MAX_TOKENS', 4096),
    },
    timeoutMs: positiveInt(env, 'LLM_TIMEOUT_MS', 60_000),
    maxRetries: positiveInt(env, 'LLM_MAX_RETRIES', 0),
    pinnedTokens: positiveInt(env, 'PROMPT_PINNED_TOKENS', 8_000),
    contextTokens: positiveInt(env, 'PROMPT_CONTEXT_TOKENS', 4_000),
  };
  if (!isConfigured(config, name)) throw new Error(`LLM_PROVIDER=${name}: ${missingConfiguration(name)}`);
  return config;
}
