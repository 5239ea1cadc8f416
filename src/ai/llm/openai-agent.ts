import type {
  ChatCompletionChunk,
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { AgentMessage, AgentToolCall, AgentToolSpec, AgentTurn } from './agent-port.js';
import { parseToolArguments } from './tool-arguments.js';

/** An agent conversation in chat completions form: assistant `tool_calls`, `tool` messages answering them. */
export function toChatCompletions(messages: readonly AgentMessage[]): ChatCompletionMessageParam[] {
  return messages.map((message): ChatCompletionMessageParam => {
    switch (message.role) {
      case 'system':
      case 'user':
        return { role: message.role, content: message.content };
      case 'assistant':
        if (message.toolCalls.length === 0) return { role: 'assistant', content: message.content };
        return {
          role: 'assistant',
          // The API wants null, not '', beside tool calls when the model said nothing.
          content: message.content || null,
          tool_calls: message.toolCalls.map((call) => ({
            id: call.id,
            type: 'function',
            function: { name: call.name, arguments: JSON.stringify(call.arguments) },
          })),
        };
      case 'tool':
        // The API has no error flag on a tool result: the text says it.
        return {
          role: 'tool',
          tool_call_id: message.callId,
          content: message.isError ? `Error: ${message.content}` : message.content,
        };
    }
  });
}

export function toFunctionTools(tools: readonly AgentToolSpec[]): ChatCompletionFunctionTool[] {
  return tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  }));
}

interface PartialCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Builds one turn from its streamed chunks. Tool calls arrive as deltas keyed by index: the first
 * carries the call's id and name, the following ones pieces of its `arguments` JSON.
 */
export class ChunkAssembler {
  private text = '';
  private readonly calls = new Map<number, PartialCall>();
  private usage: AgentTurn['usage'] = null;
  private cutOff = false;

  add(chunk: ChatCompletionChunk): void {
    // With stream_options.include_usage the last chunk carries the usage and no choice.
    if (chunk.usage) {
      this.usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
    }
    const choice = chunk.choices?.[0];
    if (choice?.finish_reason === 'length') this.cutOff = true;
    const delta = choice?.delta;
    if (!delta) return;
    if (delta.content) this.text += delta.content;
    // A refusal comes instead of content; it is what the model answered.
    if (delta.refusal) this.text += delta.refusal;
    for (const [position, piece] of (delta.tool_calls ?? []).entries()) {
      // Some compatible servers leave out the index when a chunk holds one whole call.
      const index = piece.index ?? position;
      let call = this.calls.get(index);
      if (!call) {
        call = { id: '', name: '', arguments: '' };
        this.calls.set(index, call);
      }
      if (piece.id && !call.id) call.id = piece.id;
      if (piece.function?.name && !call.name) call.name = piece.function.name;
      if (piece.function?.arguments) call.arguments += piece.function.arguments;
    }
  }

  /** The turn; throws LlmError when a call's arguments are not a JSON object. */
  turn(): AgentTurn {
    const toolCalls = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .filter(([, call]) => call.name !== '')
      .map(([index, call]): AgentToolCall => ({
        id: call.id || `call_${index}`,
        name: call.name,
        arguments: parseToolArguments(call.name, call.arguments, this.cutOff),
      }));
    return { text: this.text, toolCalls, usage: this.usage };
  }
}
