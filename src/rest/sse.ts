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
