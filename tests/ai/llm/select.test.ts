import { loadLlmConfig } from '../../../src/ai/llm/config.js';
import { LlmError } from '../../../src/ai/llm/port.js';
import { LlmProviders } from '../../../src/ai/llm/select.js';
import { DEFAULT_WORKSPACE_SETTINGS } from '../../../src/domain/workspaces/settings.js';
import { type FakeLlmServer, startFakeOpenAi } from '../../support/fake-openai.js';

const workspace = (chatProvider: string | null, chatModel: string | null = null) => ({
  ...DEFAULT_WORKSPACE_SETTINGS,
  chatProvider,
  chatModel,
});

describe('LLM configuration', () => {
  it('defaults to the extractive answerer with nothing configured', () => {
    expect(loadLlmConfig({}).provider).toBe('extractive');
  });

  it('takes LLM_MODEL as the server-wide provider’s model, and OPENAI_MODEL over it', () => {
    expect(loadLlmConfig({ LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'k', LLM_MODEL: 'gpt-4.1' }).openai.model).toBe(
      'gpt-4.1',
    );
    expect(
      loadLlmConfig({ LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'k', LLM_MODEL: 'gpt-4.1', OPENAI_MODEL: 'o3' }).openai
        .model,
    ).toBe('o3');
    // LLM_MODEL names the server-wide provider's model, not Anthropic's.
    expect(
      loadLlmConfig({ LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'k', LLM_MODEL: 'gpt-4.1', ANTHROPIC_API_KEY: 'a' })
        .anthropic.model,
    ).toBe('claude-sonnet-4-5');
  });

  it('refuses an unknown LLM_PROVIDER and a server-wide provider without its key at start-up', () => {
    expect(() => loadLlmConfig({ LLM_PROVIDER: 'gemini' })).toThrow(
      'LLM_PROVIDER must be one of extractive, openai, anthropic, got "gemini"',
    );
    expect(() => loadLlmConfig({ LLM_PROVIDER: 'anthropic' })).toThrow('ANTHROPIC_API_KEY');
    expect(() => loadLlmConfig({ LLM_PROVIDER: 'openai' })).toThrow('OPENAI_API_KEY');
    expect(loadLlmConfig({ LLM_PROVIDER: 'openai', OPENAI_BASE_URL: 'http://localhost:11434/v1' }).provider).toBe(
      'openai',
    );
  });
});

describe('provider selection', () => {
  it('uses the server-wide provider unless the workspace names another', () => {
    const providers = new LlmProviders(
      loadLlmConfig({ LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'k', ANTHROPIC_API_KEY: 'a' }),
    );
    expect(providers.select(workspace(null)).provider.name).toBe('openai');
    expect(providers.select(workspace('anthropic', 'claude-haiku-4-5'))).toMatchObject({
      provider: { name: 'anthropic' },
      model: 'claude-haiku-4-5',
    });
    expect(providers.select(workspace('extractive')).provider.name).toBe('extractive');
    expect(providers.select(workspace(null, 'gpt-4.1')).model).toBe('gpt-4.1');
    expect(providers.select(workspace(null)).model).toBeNull();
  });

  it('reuses one instance per provider', () => {
    const providers = new LlmProviders(loadLlmConfig({ OPENAI_API_KEY: 'k' }));
    expect(providers.select(workspace('openai', 'a')).provider).toBe(
      providers.select(workspace('openai', 'b')).provider,
    );
    expect(providers.select(workspace(null)).provider).toBe(providers.select(workspace('extractive')).provider);
  });

  it('refuses an unknown or unconfigured provider with a clear LlmError', () => {
    const providers = new LlmProviders(loadLlmConfig({}));
    expect(() => providers.select(workspace('gemini'))).toThrow(
      new LlmError('Unknown LLM provider "gemini": use one of extractive, openai, anthropic.'),
    );
    expect(() => providers.select(workspace('anthropic'))).toThrow(
      new LlmError('The anthropic provider is not configured: set ANTHROPIC_API_KEY.'),
    );
    expect(() => providers.select(workspace('openai'))).toThrow(LlmError);
  });

  it('picks the agent model by the same rules, sharing the chat provider instance', () => {
    const providers = new LlmProviders(
      loadLlmConfig({ LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'k', ANTHROPIC_API_KEY: 'a' }),
    );
    expect(providers.selectAgent(workspace(null)).agent.name).toBe('openai');
    expect(providers.selectAgent(workspace(null), 'anthropic').agent.name).toBe('anthropic');
    expect(providers.selectAgent(workspace('extractive'), 'anthropic').agent.name).toBe('extractive');
    expect(providers.selectAgent(workspace('anthropic', ' claude-haiku-4-5 '))).toMatchObject({
      agent: { name: 'anthropic' },
      model: 'claude-haiku-4-5',
    });
    for (const name of ['openai', 'anthropic', 'extractive']) {
      expect(providers.selectAgent(workspace(name)).agent).toBe(providers.select(workspace(name)).provider);
    }
  });

  it('refuses an unknown or unconfigured agent provider with a clear LlmError', () => {
    const providers = new LlmProviders(loadLlmConfig({}));
    expect(providers.selectAgent(workspace(null)).agent.name).toBe('extractive');
    expect(() => providers.selectAgent(workspace('gemini'))).toThrow(
      new LlmError('Unknown LLM provider "gemini": use one of extractive, openai, anthropic.'),
    );
    expect(() => providers.selectAgent(workspace(null), 'anthropic')).toThrow(
      new LlmError('The anthropic provider is not configured: set ANTHROPIC_API_KEY.'),
    );
  });

  describe('with OPENAI_BASE_URL pointing at a local endpoint', () => {
    let server: FakeLlmServer;
    beforeAll(async () => {
      server = await startFakeOpenAi({ tokens: ['ok'] });
    });
    afterAll(() => server.close());

    it("sends the workspace's model to the configured endpoint", async () => {
      const providers = new LlmProviders(
        loadLlmConfig({ LLM_PROVIDER: 'openai', OPENAI_BASE_URL: server.url, OPENAI_MODEL: 'llama3' }),
      );
      const { provider, model } = providers.select(workspace(null, 'mistral'));
      const tokens: string[] = [];
      for await (const token of provider.stream({
        model,
        temperature: 1.2,
        messages: [{ role: 'user', content: 'hi' }],
        context: [],
        signal: new AbortController().signal,
      })) {
        tokens.push(token);
      }
      expect(tokens).toEqual(['ok']);
      expect(server.requests.at(-1)!.body).toMatchObject({ model: 'mistral', temperature: 1.2 });
    });
  });
});
