import WebSocket from 'ws';

/** A real WebSocket client of /ws/chat/{slug}/ (or /ws/agent/{slug}/) that collects every frame and can wait for one. */
export class ChatSocketClient {
  readonly frames: any[] = [];
  private waiters: { match: (f: any) => boolean; resolve: (f: any) => void }[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => (w.match(frame) ? (w.resolve(frame), false) : true));
    });
  }

  /** Resolves once open; rejects with the HTTP status when the handshake is refused. */
  static connect(baseUrl: string, slug: string, token: string | null): Promise<ChatSocketClient> {
    return ChatSocketClient.connectTo(baseUrl, `/ws/chat/${slug}/`, token);
  }

  /** The same client on another socket path of the server (`/ws/agent/{slug}/`). */
  static connectTo(baseUrl: string, path: string, token: string | null): Promise<ChatSocketClient> {
    const url = `${baseUrl.replace(/^http/, 'ws')}${path}${token === null ? '' : `?token=${encodeURIComponent(token)}`}`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new ChatSocketClient(ws)));
      // With this listener ws leaves the refused request open: end it, so no socket outlives the test.
      ws.once('unexpected-response', (req, res) => {
        req.destroy();
        reject(Object.assign(new Error(`refused: ${res.statusCode}`), { status: res.statusCode }));
      });
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The first frame (already received or coming) that matches. */
  next(match: (f: any) => boolean, timeoutMs = 15_000): Promise<any> {
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching frame; got ${JSON.stringify(this.frames).slice(0, 500)}`)),
        timeoutMs,
      );
      this.waiters.push({
        match,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  /** Sends a chat and collects its frames up to chat_complete or error. */
  async chat(message: Record<string, unknown>): Promise<{ start: any; tokens: string[]; end: any }> {
    const from = this.frames.length;
    this.send({ type: 'chat', ...message });
    const first = await this.next(
      (f) => this.frames.indexOf(f) >= from && (f.type === 'chat_start' || f.type === 'error'),
    );
    if (first.type === 'error') return { start: null, tokens: [], end: first };
    const end = await this.next((f) => f.id === first.id && (f.type === 'chat_complete' || f.type === 'error'));
    const tokens = this.frames.filter((f) => f.type === 'chat_token' && f.id === first.id).map((f) => f.token);
    return { start: first, tokens, end };
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
