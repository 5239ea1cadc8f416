import { type Request, Router } from 'express';
import { giveFeedback } from '../../commands/chats/feedback.js';
import { ChatFailure, startChat } from '../../commands/chats/send.js';
import { invalid, notFound } from '../../domain/shared/errors.js';
import {
  chatHistory,
  findVisibleChat,
  listChats,
  publicChat,
  SEARCH_FIELDS,
  type SearchField,
  searchChats,
} from '../../projections/chats/queries.js';
import { exportChats } from '../../transport/chat-export/export-chats.js';
import { requireAuth } from '../auth.js';
import { pastChatsOf } from '../../projections/time-travel/reads.js';
import { readsOf } from '../as-of.js';
import { commandContext } from '../context.js';
import { NotYetReadableError } from '../../projections/shared/progress.js';
import { type RestDeps, settled } from '../deps.js';
import { lookupFilter, textSearch } from '../filters.js';
import { findWindow, pageOf, sendPage } from '../pagination.js';
import { streamChatFrames } from '../sse.js';

const CHAT_FILTERS = {
  id: 'number',
  workspace: 'number',
  workspace_id: 'number',
  thread: 'number',
  thread_id: 'number',
  user: 'number',
  user_id: 'number',
  mode: 'string',
  feedback: 'boolean',
  prompt: 'string',
  response: 'string',
  created_at: 'date',
} as const;
const RENAMED = { workspace_id: 'workspace', thread_id: 'thread', user_id: 'user' };

function intParam(req: Request, name: string, required: true): number;
function intParam(req: Request, name: string, required?: false): number | null;
function intParam(req: Request, name: string, required = false): number | null {
  const raw = req.query[name];
  if (raw === undefined || raw === '') {
    if (required) throw invalid('Validation failed.', { [name]: ['This field is required.'] });
    return null;
  }
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw))
    throw invalid('Validation failed.', { [name]: ['A valid integer is required.'] });
  return Number(raw);
}

/** `search_in=prompt`, `response`, `prompt,response` or `both` (the default). */
function searchFields(req: Request): SearchField[] {
  const raw = req.query.search_in;
  if (raw === undefined || raw === '' || raw === 'both') return [...SEARCH_FIELDS];
  const fields = typeof raw === 'string' ? raw.split(',').map((f) => f.trim()) : [];
  if (!fields.length || fields.some((f) => !(SEARCH_FIELDS as readonly string[]).includes(f))) {
    throw invalid('Validation failed.', { search_in: ['Use prompt, response, or both.'] });
  }
  return fields as SearchField[];
}

/** The spec's Chats App: streamed answers over SSE, history, lists, feedback, search and export. */
export function chatRoutes(deps: RestDeps): Router {
  const router = Router();
  router.use(requireAuth);

  router.post('/stream_chat/', async (req, res) => {
    // Anything that refuses the chat (input, membership, limit) is thrown here, before the stream opens: plain JSON.
    const chat = await startChat(deps, req.body, commandContext(req));
    await streamChatFrames(res, {
      answer: chat.answer,
      settled: (position) => settled(deps, position),
      // A chat recorded but not yet readable is no failure to log: the stuck projection is logged where it fails.
      failure: (err) =>
        err instanceof ChatFailure
          ? err
          : err instanceof NotYetReadableError
            ? new ChatFailure(err.message, chat.chatId)
            : new ChatFailure('The answer could not be completed. Please try again later.', chat.chatId, err),
      log: (cause) => req.log.warn({ err: cause, chatId: chat.chatId }, 'chat failed'),
    });
  });

  router.get('/history/', async (req, res) => {
    const page = pageOf(req);
    const workspaceId = intParam(req, 'workspace_id', true);
    const threadId = intParam(req, 'thread_id');
    const { results, count } = await chatHistory(
      await readsOf(req, deps, pastChatsOf(workspaceId, threadId)),
      req.actor!,
      { workspaceId, threadId },
      findWindow(page),
    );
    sendPage(req, res, page, results.map(publicChat), count);
  });

  router.get('/search/', async (req, res) => {
    const found = (['query', 'q', 'search'] as const)
      .map((param) => ({ param, term: req.query[param] }))
      .find(
        (p): p is { param: 'query' | 'q' | 'search'; term: string } =>
          typeof p.term === 'string' && p.term.trim() !== '',
      );
    if (!found) throw invalid('Validation failed.', { query: ['This field is required.'] });
    const page = pageOf(req);
    const { results, count } = await searchChats(
      deps.db,
      req.actor!,
      {
        query: found.term.trim(),
        param: found.param,
        workspaceId: intParam(req, 'workspace_id'),
        searchIn: searchFields(req),
      },
      findWindow(page),
    );
    sendPage(req, res, page, results.map(publicChat), count);
  });

  router.get('/', async (req, res) => {
    const page = pageOf(req);
    const filter = { ...lookupFilter(req, CHAT_FILTERS, RENAMED), ...textSearch(req, ['prompt', 'response']) };
    const { results, count } = await listChats(deps.db, req.actor!, filter, findWindow(page));
    sendPage(req, res, page, results.map(publicChat), count);
  });

  router.get('/:id/', async (req, res) => {
    const raw = req.params.id;
    if (!/^\d{1,15}$/.test(raw)) throw notFound();
    const chat = await findVisibleChat(deps.db, req.actor!, Number(raw));
    if (!chat) throw notFound();
    res.json(publicChat(chat));
  });

  router.post('/feedback/', async (req, res) => {
    const { chatId, position } = await giveFeedback(deps.store, req.body, commandContext(req));
    await settled(deps, position);
    const chat = await findVisibleChat(deps.db, req.actor!, chatId);
    if (!chat) throw notFound();
    res.json(publicChat(chat));
  });

  router.post('/export/', async (req, res) => {
    const file = await exportChats(deps.db, req.actor!, req.body);
    res.setHeader('Content-Type', file.contentType);
    res.setHeader('Content-Disposition', `attachment; filename="${file.filename}"`);
    res.send(file.body);
  });

  return router;
}
