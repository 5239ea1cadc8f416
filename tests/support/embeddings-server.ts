import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Words the server treats as one meaning, so vector search can find what BM25 cannot. */
const SYNONYMS: Record<string, string> = {
  automobile: 'car',
  vehicle: 'car',
  motorcar: 'car',
  physician: 'doctor',
  medic: 'doctor',
};
/** Words that carry no meaning of their own, as a real model all but ignores them. */
const STOP = new Set([
  'the',
  'and',
  'our',
  'for',
  'with',
  'near',
  'down',
  'way',
  'rest',
  'from',
  'that',
  'this',
  'was',
  'were',
  'into',
]);
export const DIMENSIONS = 256;

/**
 * Deterministic embeddings: each word (synonyms folded together) adds 1 to a dimension chosen by
 * its hash. Texts sharing meaning-words point the same way; unrelated texts are near orthogonal.
 */
export function embedText(text: string): number[] {
  const vector = new Array<number>(DIMENSIONS).fill(0);
  for (const raw of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    if (raw.length < 3 || STOP.has(raw)) continue;
    const word = SYNONYMS[raw] ?? raw;
    vector[createHash('md5').update(word).digest().readUInt32LE(0) % DIMENSIONS]! += 1;
  }
  return vector;
}

export interface EmbeddingsServer {
  /** The API root to give as base URL (…/v1). */
  baseUrl: string;
  /** Every request body received, in order. */
  requests: { model: string; input: string[]; encoding_format?: string; authorization?: string }[];
  close(): Promise<void>;
}

/** A local HTTP server speaking OpenAI's POST /v1/embeddings (float and base64 encodings). */
export async function startEmbeddingsServer(): Promise<EmbeddingsServer> {
  const requests: EmbeddingsServer['requests'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (part) => (body += part));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { message: 'not found' } }));
        return;
      }
      const parsed = JSON.parse(body) as { model: string; input: string | string[]; encoding_format?: string };
      const input = Array.isArray(parsed.input) ? parsed.input : [parsed.input];
      requests.push({
        model: parsed.model,
        input,
        encoding_format: parsed.encoding_format,
        authorization: req.headers.authorization,
      });
      const data = input.map((text, index) => {
        const vector = embedText(text);
        const embedding =
          parsed.encoding_format === 'base64'
            ? Buffer.from(Float32Array.from(vector).buffer).toString('base64')
            : vector;
        return { object: 'embedding', index, embedding };
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ object: 'list', data, model: parsed.model, usage: { prompt_tokens: 0, total_tokens: 0 } }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
