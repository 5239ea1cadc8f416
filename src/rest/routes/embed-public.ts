import path from 'node:path';
import { type Request, type RequestHandler, Router } from 'express';
import {
  EmbedChatFailure,
  embedOriginAllowed,
  INTERNAL_FAILURE,
  startEmbedChat,
  usableEmbedConfig,
  usableEmbedSession,
} from '../../commands/embeds/public-chat.js';
import { chatsOfSession, type EmbedChatView } from '../../projections/embeds/queries.js';
import { NotYetReadableError } from '../../projections/shared/progress.js';
import { commandContext } from '../context.js';
import type { RestDeps } from '../deps.js';
import { pageOf, sendPage } from '../pagination.js';
import { streamChatFrames } from '../sse.js';

/** The widget script, shipped beside src/ and dist/ (both are three levels above this file's folder). */
export const WIDGET_FILE = path.resolve(__dirname, '../../../public/embed/chronicle-chat-widget.js');

const originOf = (req: Request) => req.get('Origin') ?? null;

/** The widget's request, as anonymous: a widget visitor is no user, whatever else the request carries. */
const widgetContext = (req: Request) => ({ ...commandContext(req), actor: null });

/**
 * CORS for the public embed endpoints: a page whose origin the config allows (any, for an empty
 * allowlist) is answered with its own origin echoed back, never `*` and never with credentials;
 * any other page gets no CORS headers, so its browser keeps the answer from it.
 */
function embedCors(deps: RestDeps): RequestHandler {
  return async (req, res, next) => {
    res.vary('Origin');
    const origin = originOf(req);
    if (origin && (await embedOriginAllowed(deps.store, req.params.uuid, origin))) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Idempotency-Key');
        res.setHeader('Access-Control-Max-Age', '600');
      }
    }
    next();
  };
}

const publicEmbedChat = (c: EmbedChatView) => ({
  id: c.id,
  session_id: c.session_id,
  prompt: c.prompt,
  response: c.response,
  created_at: c.created_at,
});

/** The Embeddings App's public side: what the widget on a customer's page calls, unauthenticated. */
export function embedPublicRoutes(deps: RestDeps): Router {
  const router = Router();
  router.use('/:uuid', embedCors(deps));

  // Preflight: the same 404 and 403 as the requests it announces (without CORS headers, the browser stops there).
  router.options(['/:uuid/stream-chat/', '/:uuid/:sessionId/'], async (req, res) => {
    await usableEmbedConfig(deps.store, req.params.uuid, originOf(req));
    res.status(204).end();
  });

  router.post('/:uuid/stream-chat/', async (req, res) => {
    // Every refusal (404, 403, 400, 429) is thrown here, before the stream opens: plain JSON.
    const chat = await startEmbedChat(deps, req.params.uuid, originOf(req), req.body, widgetContext(req));
    await streamChatFrames(res, {
      answer: chat.answer,
      settled: (position) => deps.progress.settle(position),
      failure: (err) =>
        err instanceof EmbedChatFailure
          ? err
          : err instanceof NotYetReadableError
            ? new EmbedChatFailure(err.message)
            : new EmbedChatFailure(INTERNAL_FAILURE, err),
      log: (cause) => req.log?.warn({ err: cause }, 'embed chat failed'),
    });
  });

  router.get('/:uuid/:sessionId/', async (req, res) => {
    const page = pageOf(req);
    const session = await usableEmbedSession(deps.store, req.params.uuid, originOf(req), req.params.sessionId);
    const chats = await chatsOfSession(deps.db, session.uuid, session.sessionId);
    const window = page.limit === undefined ? chats : chats.slice(page.offset, page.offset + page.limit);
    sendPage(req, res, page, window.map(publicEmbedChat), chats.length);
  });

  return router;
}

/** `GET /embed/chronicle-chat-widget.js`: the script a customer's page loads, from any origin. */
export function embedWidgetRoutes(): Router {
  const router = Router();
  router.get('/embed/chronicle-chat-widget.js', (_req, res, next) => {
    // helmet's same-origin resource policy would stop other sites' <script> tags from loading it.
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.sendFile(
      WIDGET_FILE,
      { maxAge: 5 * 60 * 1000, headers: { 'Content-Type': 'text/javascript; charset=utf-8' } },
      (err) => {
        if (err) next(err);
      },
    );
  });
  return router;
}
