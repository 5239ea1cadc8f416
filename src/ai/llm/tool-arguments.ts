import { LlmError } from './port.js';

/**
 * A tool call's arguments as the model wrote them (a JSON object, streamed in pieces), parsed.
 * A model may write broken JSON (cut off at its token limit, or a small local model's slip): that
 * fails the turn with an LlmError naming the tool, rather than running the tool on a guess.
 * No arguments at all are an empty object, as models send for tools that take none.
 */
export function parseToolArguments(tool: string, raw: string, cutOff = false): Record<string, unknown> {
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new LlmError(
      cutOff
        ? `The model reached its output token limit in the middle of its call of the tool "${tool}".`
        : `The model called the tool "${tool}" with arguments that are not valid JSON.`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new LlmError(`The model called the tool "${tool}" with arguments that are not a JSON object.`);
  }
  return parsed as Record<string, unknown>;
}
