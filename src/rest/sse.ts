import { randomUUID } from 'node:crypto';
import type { Response } from 'express';

/** Opens a Server-Sent Events response: no buffering by proxies, no caching, headers sent at once. */
export function openEventStream(res: Response): (frame: object) => void {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  return (frame) => {
    if (!res.writableEnded && !res.destroyed) res.write(`data: ${JSON.stringify(frame)}\n\n`);
  };
}

export interface StreamedAnswer { chatId: number; position: number }

/**
 * The stream_chat frames, for every chat answered over SSE: `start`, a `stream` frame per token, then
 * `complete` with the chat id once `settled` says the read models hold the chat (so history asked right
 * after shows it), or an `error` frame with `failure`'s client-fit message. A client that goes away
 * aborts the answer: the model's tokens would be read by no one.
 */
export async function streamChatFrames(res: Response, options: {
  answer: (onToken: (token: string) => void, signal: AbortSignal) => Promise<StreamedAnswer>;
  settled: (position: number) => Promise<unknown>;
  /** The error as the client may see it; `cause`, when there is one, is logged. */
  failure: (err: unknown) => { message: string; cause?: unknown };
  log: (cause: unknown) => void;
}): Promise<void> {
  const id = randomUUID();
  const send = openEventStream(res);
  const cancel = new AbortController();
  res.on('close', () => cancel.abort());
  // A client that left while the chat was being accepted closed the connection before this listener: cancel now.
  if (res.closed || res.destroyed || !res.socket || res.socket.destroyed) cancel.abort();
  send({ id, type: 'start', message: 'Processing...' });
  try {
    const done = await options.answer((token) => send({ id, type: 'stream', token }), cancel.signal);
    await options.settled(done.position);
    send({ id, type: 'complete', chat_id: done.chatId });
  } catch (err) {
    const failure = options.failure(err);
    if (failure.cause) options.log(failure.cause);
    send({ id, type: 'error', error: failure.message });
  } finally {
    res.end();
  }
}
