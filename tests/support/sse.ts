/** A real SSE client for stream_chat: POSTs, then reads `data:` frames as they arrive. */
export interface SseResult {
  status: number;
  headers: Headers;
  /** Parsed frames, in order (for a non-stream answer: empty, and `body` holds the JSON). */
  frames: any[];
  body: any;
}

export async function postSse(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  options: { signal?: AbortSignal; onFrame?: (frame: any, frames: any[]) => void } = {},
): Promise<SseResult> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: options.signal,
  });
  if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const text = await res.text();
    let json: any = text;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, frames: [], body: json };
  }
  const frames: any[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        if (!data) continue;
        const frame = JSON.parse(data);
        frames.push(frame);
        options.onFrame?.(frame, frames);
      }
    }
  } catch (err) {
    if (!options.signal?.aborted) throw err;
  }
  return { status: res.status, headers: res.headers, frames, body: null };
}

/** The answer a stream spelled out, token by token. */
export const answerOf = (frames: any[]) =>
  frames
    .filter((f) => f.type === 'stream')
    .map((f) => f.token)
    .join('');
