import type {
  ContentBlockParam,
  MessageParam,
  RawMessageStreamEvent,
  Tool,
} from '@anthropic-ai/sdk/resources/messages/messages';
import type { AgentMessage, AgentToolCall, AgentToolSpec, AgentTurn } from './agent-port.js';
import { parseToolArguments } from './tool-arguments.js';

/**
 * An agent conversation in Messages API form, by toMessagesApi's rules (system apart, turns that
 * alternate and start with the user's, consecutive turns of one role merged, empty text dropped):
 * an assistant turn carries its text and `tool_use` blocks, and the results answering them go as
 * `tool_result` blocks in the following user turn, ahead of any text, as the API requires.
 */
export function toAgentMessagesApi(messages: readonly AgentMessage[]): { system: string; turns: MessageParam[] } {
  const system: string[] = [];
  const turns: { role: 'user' | 'assistant'; content: ContentBlockParam[] }[] = [];
  for (const message of messages) {
    if (message.role === 'system') {
      if (message.content.trim() !== '') system.push(message.content);
      continue;
    }
    const blocks = blocksOf(message);
    if (blocks.length === 0) continue;
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const last = turns[turns.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  }
  if (turns[0]?.role === 'assistant') turns.shift();
  for (const turn of turns) {
    if (turn.role === 'user') turn.content.sort((a, b) => rank(a) - rank(b));
  }
  return { system: system.join('\n\n'), turns };
}

/** Tool results first, everything else after, each group in its own order (the sort is stable). */
const rank = (block: ContentBlockParam) => (block.type === 'tool_result' ? 0 : 1);

function blocksOf(message: AgentMessage): ContentBlockParam[] {
  const text = (content: string): ContentBlockParam[] =>
    content.trim() === '' ? [] : [{ type: 'text', text: content }];
  switch (message.role) {
    case 'system':
      return []; // goes apart, in `system`
    case 'user':
      return text(message.content);
    case 'assistant':
      return [
        ...text(message.content),
        ...message.toolCalls.map((call): ContentBlockParam => ({
          type: 'tool_use',
          id: call.id,
          name: call.name,
          input: call.arguments,
        })),
      ];
    case 'tool':
      return [
        {
          type: 'tool_result',
          tool_use_id: message.callId,
          ...(message.content !== '' ? { content: message.content } : {}),
          ...(message.isError ? { is_error: true } : {}),
        },
      ];
  }
}

export function toAnthropicTools(tools: readonly AgentToolSpec[]): Tool[] {
  return tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    input_schema: tool.parameters as Tool['input_schema'],
  }));
}

interface PartialToolUse {
  id: string;
  name: string;
  /** The input given whole in content_block_start (`{}` when it is streamed as input_json_delta). */
  initial: unknown;
  json: string;
}

/**
 * Builds one turn from its stream events: text blocks' text_delta, tool_use blocks' input as
 * input_json_delta pieces, input tokens from message_start, output tokens from message_delta.
 */
export class EventAssembler {
  private readonly text: string[] = [];
  private readonly toolUses = new Map<number, PartialToolUse>();
  private inputTokens: number | null = null;
  private outputTokens: number | null = null;
  private cutOff = false;

  add(event: RawMessageStreamEvent): void {
    switch (event.type) {
      case 'message_start': {
        const usage = event.message.usage;
        if (usage) this.inputTokens = inputOf(usage);
        if (usage?.output_tokens != null) this.outputTokens = usage.output_tokens;
        break;
      }
      case 'content_block_start':
        if (event.content_block.type === 'tool_use') {
          const { id, name, input } = event.content_block;
          this.toolUses.set(event.index, { id, name, initial: input, json: '' });
        } else if (event.content_block.type === 'text' && event.content_block.text) {
          this.text.push(event.content_block.text);
        }
        break;
      case 'content_block_delta':
        if (event.delta.type === 'text_delta') this.text.push(event.delta.text);
        else if (event.delta.type === 'input_json_delta') {
          const toolUse = this.toolUses.get(event.index);
          if (toolUse) toolUse.json += event.delta.partial_json;
        }
        break;
      case 'message_delta':
        if (event.delta?.stop_reason === 'max_tokens') this.cutOff = true;
        // Its counts are cumulative: they replace those of message_start.
        if (event.usage?.input_tokens != null) this.inputTokens = inputOf(event.usage);
        if (event.usage?.output_tokens != null) this.outputTokens = event.usage.output_tokens;
        break;
    }
  }

  /** The turn; throws LlmError when a tool_use input is not a JSON object. */
  turn(): AgentTurn {
    const toolCalls = [...this.toolUses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, use]): AgentToolCall => ({
        id: use.id,
        name: use.name,
        arguments:
          use.json === '' && isObject(use.initial) ? use.initial : parseToolArguments(use.name, use.json, this.cutOff),
      }));
    const usage =
      this.inputTokens !== null || this.outputTokens !== null
        ? { inputTokens: this.inputTokens ?? 0, outputTokens: this.outputTokens ?? 0 }
        : null;
    return { text: this.text.join(''), toolCalls, usage };
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Input tokens, counting those read from or written to the prompt cache (input_tokens leaves them out). */
function inputOf(usage: {
  input_tokens: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}): number {
  return (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
}
