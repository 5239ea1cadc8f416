import type { WorkspaceSettings } from '../../domain/workspaces/settings.js';
import { LLM_PROVIDERS } from '../../domain/system/settings.js';
import type { AgentModel, AgentModelChoice, AgentModelSelector } from './agent-port.js';
import { isConfigured, type LlmConfig, type LlmProviderName, missingConfiguration } from './config.js';
import { ExtractiveAgent } from './extractive-agent.js';
import { LlmError, type LlmProvider, type LlmSelector, type ProviderChoice } from './port.js';

/** Each provider answers chats and takes agent turns with one instance. */
type Provider = LlmProvider & AgentModel;

/**
 * Which provider answers a workspace's chats and runs its agents: its chat_provider, else the
 * admins' llm_provider setting, else the server's LLM_PROVIDER.
 * One instance per provider for the process (each holds an HTTP client with its connection pool).
 */
export class LlmProviders implements LlmSelector, AgentModelSelector {
  private readonly instances = new Map<LlmProviderName, Provider>();

  constructor(readonly config: LlmConfig) {}

  /** The provider chats use when their workspace names none: the llm_provider setting when set, else LLM_PROVIDER. */
  serverWide(setting: unknown): string {
    return typeof setting === 'string' && setting ? setting : this.config.provider;
  }

  /** Throws LlmError for an unknown provider or one whose key is not configured. */
  select(
    settings: Pick<WorkspaceSettings, 'chatProvider' | 'chatModel'>,
    providerSetting: unknown = null,
  ): ProviderChoice {
    return this.choose(settings, providerSetting);
  }

  /** The same choice as select(), as an agent model. Throws LlmError likewise. */
  selectAgent(
    settings: Pick<WorkspaceSettings, 'chatProvider' | 'chatModel'>,
    providerSetting: unknown = null,
  ): AgentModelChoice {
    const { provider, model } = this.choose(settings, providerSetting);
    return { agent: provider, model };
  }

  private choose(
    settings: Pick<WorkspaceSettings, 'chatProvider' | 'chatModel'>,
    providerSetting: unknown,
  ): ProviderChoice & { provider: Provider } {
    const wanted = settings.chatProvider?.trim().toLowerCase() || this.serverWide(providerSetting);
    if (!(LLM_PROVIDERS as readonly string[]).includes(wanted)) {
      throw new LlmError(`Unknown LLM provider "${wanted}": use one of ${LLM_PROVIDERS.join(', ')}.`);
    }
    const name = wanted as LlmProviderName;
    if (!isConfigured(this.config, name)) throw new LlmError(missingConfiguration(name));
    return { provider: this.instance(name), model: settings.chatModel?.trim() || null };
  }

  private instance(name: LlmProviderName): Provider {
    let provider = this.instances.get(name);
    if (!provider) {
      provider = this.create(name);
      this.instances.set(name, provider);
    }
    return provider;
  }

  /*
   * Each provider's module (and its SDK, a few hundred ms to load) is required when a chat first needs
   * it: not before the server listens, and not at all for a provider nobody uses.
   */
  /* eslint-disable @typescript-eslint/no-require-imports */
  private create(name: LlmProviderName): Provider {
    const { timeoutMs, maxRetries } = this.config;
    switch (name) {
      case 'openai': {
        const { OpenAiProvider } = require('./openai.js') as typeof import('./openai.js');
        return new OpenAiProvider({ ...this.config.openai, timeoutMs, maxRetries });
      }
      case 'anthropic': {
        const { AnthropicProvider } = require('./anthropic.js') as typeof import('./anthropic.js');
        return new AnthropicProvider({ ...this.config.anthropic, timeoutMs, maxRetries });
      }
      case 'extractive':
        return new ExtractiveAgent();
    }
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
}
