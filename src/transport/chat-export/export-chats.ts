import { parseInput } from '../../commands/shared/validation.js';
import type { Actor } from '../../domain/shared/actor.js';
import { invalid } from '../../domain/shared/errors.js';
import type { ReadStore } from '../../infra/readstore/port.js';
import { chatsOfPeriod } from '../../projections/chats/queries.js';
import { exportInput } from './input.js';
import { type ChatExport, EXPORT_MAX_CHATS, exportRefusal, renderExport } from './render.js';

const DAY_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const day = (d: Date) => d.toISOString().slice(0, 10);

/** The chats of a period (a bare date_to includes its whole day) as a file in the format asked for. */
export async function exportChats(db: ReadStore, actor: Actor, rawInput: unknown): Promise<ChatExport> {
  const input = parseInput(exportInput, rawInput);
  const from = input.date_from ? new Date(input.date_from) : null;
  const to = input.date_to
    ? new Date(Date.parse(input.date_to) + (DAY_ONLY.test(input.date_to) ? 86_400_000 - 1 : 0))
    : null;
  const { chats, count } = await chatsOfPeriod(db, actor, {
    workspaceId: input.workspace_id ?? null,
    from,
    to,
    limit: EXPORT_MAX_CHATS,
  });
  const refusal = exportRefusal(chats, count, input.format);
  if (refusal) throw invalid('Validation failed.', { non_field_errors: [refusal] });
  const label = [
    input.workspace_id !== undefined ? `workspace-${input.workspace_id}` : 'all',
    from && day(from),
    to && day(to),
  ]
    .filter(Boolean)
    .join('_');
  return renderExport(chats, input.format, label);
}
