import type OpenAI from 'openai';

/** Turns texts into vectors, one per text, in order. */
export interface Embedder {
  /** Vectors of different models never mix: the cache is keyed by it. */
  readonly model: string;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

export interface OpenAIEmbedderOptions {
  model: string;
  apiKey: string | null;
  /** An OpenAI-compatible API root (…/v1); the official endpoint when null. */
  baseUrl: string | null;
  /** Texts per request: the endpoint takes a list, so a document's chunks go in a few requests. */
  batchSize?: number;
  timeoutMs?: number;
}

/** Any OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Ollama, vLLM, LM Studio, ...) via the official client. */
export class OpenAIEmbedder implements Embedder {
  readonly model: string;
  private readonly batchSize: number;
  private clientInstance: OpenAI | null = null;

  constructor(private readonly options: OpenAIEmbedderOptions) {
    this.model = options.model;
    this.batchSize = options.batchSize ?? 64;
  }

  /** Made on first use: the SDK takes a few hundred ms to load, which the server's start need not wait for. */
  private get client(): OpenAI {
    if (!this.clientInstance) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { default: Client } = require('openai') as typeof import('openai');
      this.clientInstance = new Client({
        // Local servers need no key, but the client insists on one.
        apiKey: this.options.apiKey ?? 'no-key',
        baseURL: this.options.baseUrl ?? undefined,
        timeout: this.options.timeoutMs ?? 60_000,
        maxRetries: 2,
      });
    }
    return this.clientInstance;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) {
      const input = texts.slice(i, i + this.batchSize);
      const response = await this.client.embeddings.create({ model: this.model, input });
      const byIndex = [...response.data].sort((a, b) => a.index - b.index);
      if (byIndex.length !== input.length)
        throw new Error(`The embeddings endpoint answered ${byIndex.length} vectors for ${input.length} texts.`);
      for (const item of byIndex) out.push(Float32Array.from(item.embedding));
    }
    return out;
  }
}

/** Scaled to length 1, so cosine similarity is a dot product. */
export function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  const norm = Math.sqrt(sum);
  if (norm === 0) return vector;
  const out = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]! / norm;
  return out;
}

export const vectorToBase64 = (vector: Float32Array) =>
  Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');

export function vectorFromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  // Copied into an aligned buffer: a Buffer slice of the pool may not start at a multiple of 4.
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}
