import { LlmError } from '../../src/ai/llm/port.js';

/** Every token a provider's stream yields, in order. */
export async function collect(stream: AsyncIterable<string>): Promise<string[]> {
  const tokens: string[] = [];
  for await (const token of stream) tokens.push(token);
  return tokens;
}

/** The LlmError a provider's stream ends with; fails the test if it ends any other way. */
export async function failure(stream: AsyncIterable<string>): Promise<LlmError> {
  try {
    await collect(stream);
  } catch (err) {
    expect(err).toBeInstanceOf(LlmError);
    return err as LlmError;
  }
  throw new Error('expected the stream to fail');
}
