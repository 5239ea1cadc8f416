/**
 * Fake tool-calling models: local HTTP servers that stream a scripted agent's turns in the real wire
 * formats, for tests, e2e tests and the bench.
 *
 * - OpenAI chat completions: `chat.completion.chunk` SSE; each tool call's id and name in its first
 *   `tool_calls` delta, its `arguments` JSON spread over the following ones; finish_reason
 *   `tool_calls` or `stop`; a last chunk with `usage` and no choice when the request asks for it
 *   (stream_options.include_usage); `data: [DONE]`.
 * - Anthropic Messages: message_start, a text block, one `tool_use` block per call with its input as
 *   `input_json_delta` pieces, message_delta (stop_reason `tool_use` or `end_turn`, output tokens),
 *   message_stop.
 *
 * A script is the list of replies of one invocation, turn by turn, or a function choosing the reply:
 *
 *   const model = await startFakeAgentOpenAi([
 *     { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] },   // first turn
 *     { text: 'It is sunny in Oslo.' },                                         // once results are in
 *   ]);
 *   // run the server with LLM_PROVIDER=openai OPENAI_BASE_URL=<model.url>
 *   // (Anthropic: startFakeAgentAnthropic, LLM_PROVIDER=anthropic ANTHROPIC_API_KEY=any ANTHROPIC_BASE_URL=<url>)
 *   agentTurnOf(model.requests[1]).toolResults  // [{ callId, content, isError }]: what the runtime answered
 *
 * The turn is read from each request, not counted by the server, so concurrent invocations each get
 * their own script: it is the number of assistant turns since the last user message. A function
 * script sees that and the tool results of the request (e.g. to answer with what a tool returned).
 * Calls without an `id` get `call_<turn>_<n>` (OpenAI) or `toolu_<turn>_<n>` (Anthropic). Arguments
 * given as a string are sent as they are, so a test can send broken JSON. The servers' other options
 * (delayMs between pieces, status, hang, stallAfter, dropAfter, errorAfter, models) are those of
 * fake-llm-server.ts and can be changed with `set`.
 */
import { anthropicProtocol } from './fake-anthropic.js';
import type { FakeLlmOptions, FakeLlmServer, StreamFrames } from './fake-llm-server.js';
import { startFakeLlmServer } from './fake-llm-server.js';
import { openAiProtocol } from './fake-openai.js';

export type { FakeLlmServer, RecordedRequest } from './fake-llm-server.js';

export interface ScriptedToolCall {
  id?: string;
  name: string;
  /** An object is sent as JSON; a string is sent verbatim (broken JSON included). */
  arguments: Record<string, unknown> | string;
}

export interface AgentReply {
  text?: string;
  toolCalls?: ScriptedToolCall[];
  /** Token counts to report; default: about a token per 4 characters. OpenAI only: null reports none. */
  usage?: { inputTokens: number; outputTokens: number } | null;
  /** Ends the turn as cut off at the token limit (finish_reason `length`, stop_reason `max_tokens`). */
  cutOff?: boolean;
}

/** One request as the scripted model sees it, whichever the wire format. */
export interface AgentTurnSeen {
  /** Assistant turns since the last user message: 0 for an invocation's first turn. */
  turn: number;
  lastUserMessage: string;
  /** The tool results of the request, in order. */
  toolResults: { callId: string; content: string; isError: boolean }[];
  /** Names of the tools offered. */
  tools: string[];
  body: any;
}

export type AgentScript = AgentReply[] | ((seen: AgentTurnSeen) => AgentReply);

type Format = 'openai' | 'anthropic';

export async function startFakeAgentOpenAi(
  script: AgentScript,
  options: Partial<FakeLlmOptions> = {},
): Promise<FakeLlmServer> {
  const server = await startFakeLlmServer(openAiProtocol, {
    frames: (body) => openAiFrames(body, reply(script, seenIn('openai', body))),
    ...options,
  });
  return { ...server, url: `${server.url}/v1` };
}

export function startFakeAgentAnthropic(
  script: AgentScript,
  options: Partial<FakeLlmOptions> = {},
): Promise<FakeLlmServer> {
  return startFakeLlmServer(anthropicProtocol, {
    frames: (body) => anthropicFrames(body, reply(script, seenIn('anthropic', body))),
    ...options,
  });
}

/** What a recorded request to either fake carried (its path tells the format). */
export function agentTurnOf(request: { path: string; body: any }): AgentTurnSeen {
  return seenIn(request.path.includes('/chat/completions') ? 'openai' : 'anthropic', request.body);
}

function reply(script: AgentScript, seen: AgentTurnSeen): AgentReply {
  if (typeof script === 'function') return script(seen);
  return script[Math.min(seen.turn, script.length - 1)] ?? { text: '' };
}

function seenIn(format: Format, body: any): AgentTurnSeen {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  const isUserMessage = (m: any) =>
    m.role === 'user' &&
    (format === 'openai' || !Array.isArray(m.content) || !m.content.some((b: any) => b.type === 'tool_result'));
  const lastUser = messages.findLastIndex(isUserMessage);
  const userContent = lastUser >= 0 ? messages[lastUser].content : '';
  const lastUserMessage =
    typeof userContent === 'string'
      ? userContent
      : userContent
          .filter((b: any) => b.type === 'text')
          .map((b: any) => b.text)
          .join('\n');
  const since = messages.slice(lastUser + 1);
  const toolResults =
    format === 'openai'
      ? since
          .filter((m) => m.role === 'tool')
          .map((m) => ({ callId: m.tool_call_id, content: String(m.content), isError: false }))
      : since
          .flatMap((m) => (m.role === 'user' && Array.isArray(m.content) ? m.content : []))
          .filter((b: any) => b.type === 'tool_result')
          .map((b: any) => ({ callId: b.tool_use_id, content: String(b.content ?? ''), isError: b.is_error === true }));
  const tools = (Array.isArray(body?.tools) ? body.tools : []).map((t: any) => t.function?.name ?? t.name);
  return {
    turn: since.filter((m) => m.role === 'assistant').length,
    lastUserMessage,
    toolResults,
    tools,
    body,
  };
}

const tokensOf = (text: string) => Math.max(1, Math.ceil(text.length / 4));

interface Planned {
  text: string;
  calls: { id: string; name: string; json: string }[];
  usage: { inputTokens: number; outputTokens: number } | null;
}

function plan(body: any, r: AgentReply, idPrefix: string, turn: number): Planned {
  const calls = (r.toolCalls ?? []).map((c, i) => ({
    id: c.id ?? `${idPrefix}_${turn}_${i + 1}`,
    name: c.name,
    json: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments),
  }));
  const text = r.text ?? '';
  const usage =
    r.usage === undefined
      ? {
          inputTokens: tokensOf(JSON.stringify(body?.messages ?? [])),
          outputTokens: tokensOf(text + calls.map((c) => c.json).join('')),
        }
      : r.usage;
  return { text, calls, usage };
}

/** Words with their spaces, as models stream text. */
const words = (text: string) => text.match(/\s*\S+\s*/g) ?? [];
/** JSON in pieces of a few characters, cut anywhere (inside strings and keys too), as models stream it. */
const slices = (json: string) => json.match(/[\s\S]{1,7}/g) ?? [];

function openAiFrames(body: any, r: AgentReply): StreamFrames {
  const p = plan(body, r, 'call', seenIn('openai', body).turn);
  const withUsage = body?.stream_options?.include_usage === true;
  const chunk = (delta: Record<string, unknown> | null, finish: string | null = null, usage?: unknown) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-fake-agent',
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: body?.model ?? 'fake',
      choices: delta ? [{ index: 0, delta, logprobs: null, finish_reason: finish }] : [],
      ...(withUsage ? { usage: usage ?? null } : {}),
    })}\n\n`;
  const pieces = [
    ...words(p.text).map((w) => chunk({ content: w })),
    ...p.calls.flatMap((call, index) => [
      chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }),
      ...slices(call.json).map((s) => chunk({ tool_calls: [{ index, function: { arguments: s } }] })),
    ]),
  ];
  const usage =
    withUsage && p.usage
      ? chunk(null, null, {
          prompt_tokens: p.usage.inputTokens,
          completion_tokens: p.usage.outputTokens,
          total_tokens: p.usage.inputTokens + p.usage.outputTokens,
        })
      : '';
  return {
    opening: chunk({ role: 'assistant', content: p.calls.length > 0 && !p.text ? null : '' }),
    pieces,
    closing: `${chunk({}, r.cutOff ? 'length' : p.calls.length > 0 ? 'tool_calls' : 'stop')}${usage}data: [DONE]\n\n`,
  };
}

function anthropicFrames(body: any, r: AgentReply): StreamFrames {
  const p = plan(body, r, 'toolu', seenIn('anthropic', body).turn);
  const usage = p.usage ?? { inputTokens: 1, outputTokens: 1 };
  const event = (data: { type: string; [key: string]: unknown }) =>
    `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
  const pieces: string[] = [];
  let index = 0;
  if (p.text) {
    pieces.push(event({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
    for (const w of words(p.text))
      pieces.push(event({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: w } }));
    pieces.push(event({ type: 'content_block_stop', index }));
    index += 1;
  }
  for (const call of p.calls) {
    const start = { type: 'tool_use', id: call.id, name: call.name, input: {} };
    pieces.push(event({ type: 'content_block_start', index, content_block: start }));
    for (const s of ['', ...slices(call.json)])
      pieces.push(event({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: s } }));
    pieces.push(event({ type: 'content_block_stop', index }));
    index += 1;
  }
  const message = {
    id: 'msg_fake_agent',
    type: 'message',
    role: 'assistant',
    content: [],
    model: body?.model ?? 'fake',
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: usage.inputTokens, output_tokens: 1 },
  };
  return {
    opening: event({ type: 'message_start', message }) + event({ type: 'ping' }),
    pieces,
    closing:
      event({
        type: 'message_delta',
        delta: {
          stop_reason: r.cutOff ? 'max_tokens' : p.calls.length > 0 ? 'tool_use' : 'end_turn',
          stop_sequence: null,
        },
        usage: { output_tokens: usage.outputTokens },
      }) + event({ type: 'message_stop' }),
  };
}
