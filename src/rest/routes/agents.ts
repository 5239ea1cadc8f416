import { Router } from 'express';
import { notFound } from '../../domain/shared/errors.js';
import {
  agentInvocationWithSteps,
  findAgentInvocation,
  listAgentInvocations,
  publicAgentInvocation,
} from '../../projections/agent-invocations/queries.js';
import { requireAuth } from '../auth.js';
import type { RestDeps } from '../deps.js';
import { lookupFilter } from '../filters.js';
import { findWindow, pageOf, sendPage } from '../pagination.js';

const INVOCATION_FILTERS = {
  workspace: 'number',
  workspace_id: 'number',
  user: 'number',
  user_id: 'number',
  status: 'string',
  reason: 'string',
  created_at: 'date',
} as const;
const RENAMED = { workspace_id: 'workspace', user_id: 'user' };
const INVOCATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Agent invocations for audit: members see their own, admins everyone's; one invocation with its steps in order. */
export function agentRoutes(deps: RestDeps) {
  const router = Router();
  router.use(requireAuth);

  router.get('/invocations/', async (req, res) => {
    const page = pageOf(req);
    const filter = lookupFilter(req, INVOCATION_FILTERS, RENAMED);
    const { results, count } = await listAgentInvocations(deps.db, req.actor!, filter, findWindow(page));
    sendPage(req, res, page, results.map(publicAgentInvocation), count);
  });

  router.get('/invocations/:invocation_id/', async (req, res) => {
    if (!INVOCATION_ID.test(req.params.invocation_id)) throw notFound();
    const invocation = await findAgentInvocation(deps.db, req.actor!, req.params.invocation_id);
    if (!invocation) throw notFound();
    res.json(agentInvocationWithSteps(invocation));
  });

  return router;
}
