import { randomUUID } from 'node:crypto';
import type { Response } from 'express';

/**
 * Opens a Server-Sent Events response: no buffering by proxies, no caching, headers sent at once.
 * Each frame leaves when it is sent. Node's own write corks the socket until the next tick, and that
 * tick waits for the running chain of promise callbacks: a model answer already buffered (tokens
 * read through async iterators) would all be turned into frames before the first one left, ~10 ms
 * for 500 tokens. So each frame is written inside its own cork/uncork, in one write.
 */
export function openEventStream(res: Response): (frame: object) => void {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  return (frame) => {
    if (res.writableEnded || res.destroyed) return;
    res.cork();
    res.write(`data: ${JSON.stringify(frame)}\n\n`);
    res.uncork();
  };
}

export interface StreamedAnswer {
  chatId: number;
  position: number;
}

/**
 * The stream_chat frames, for every chat answered over SSE: `start`, a `stream` frame per token, then
 * `complete` with the chat id once `settled` says the read models hold the chat (so history asked right
 * after shows it), or an `error` frame with `failure`'s client-fit message. A client that goes away
 * aborts the answer: the model's tokens would be read by no one.
 */
export async function streamChatFrames(
  res: Response,
  options: {
    answer: (onToken: (token: string) => void, signal: AbortSignal) => Promise<StreamedAnswer>;
    settled: (position: number) => Promise<unknown>;
    /** The error as the client may see it; `cause`, when there is one, is logged. */
    failure: (err: unknown) => { message: string; cause?: unknown };
    log: (cause: unknown) => void;
  },
): Promise<void> {
  const id = randomUUID();
  res.cork(); // the headers and the `start` frame leave together, in one write
  const send = openEventStream(res);
  const cancel = new AbortController();
  res.on('close', () => cancel.abort());
  // A client that left while the chat was being accepted closed the connection before this listener: cancel now.
  if (res.closed || res.destroyed || !res.socket || res.socket.destroyed) cancel.abort();
  send({ id, type: 'start', message: 'Processing...' });
  res.uncork();
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
