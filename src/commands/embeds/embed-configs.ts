import { randomUUID } from 'node:crypto';
import { isPrivileged } from '../../domain/identity/roles.js';
import { embedConfigDecider } from '../../domain/embeds/embed-config.js';
import type { EmbedChanges } from '../../domain/embeds/events.js';
import { fieldError, forbidden, notFound } from '../../domain/shared/errors.js';
import { workspaceDecider } from '../../domain/workspaces/workspace.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import { type CommandContext, requireActor } from '../shared/context.js';
import { currentState } from '../shared/current-state.js';
import { handleCommand } from '../shared/handle.js';
import { ownerOf, reservationStream } from '../shared/reservation.js';
import { parseInput } from '../shared/validation.js';
import { workspaceStream } from '../workspaces/workspaces.js';
import { createEmbedInput, toEmbedChanges, updateEmbedInput } from './inputs.js';

export const embedStream = (uuid: string) => `embed-${uuid}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A config's uuid from a path or argument; anything else names no config. */
export function embedUuid(raw: unknown): string {
  if (typeof raw !== 'string' || !UUID.test(raw)) throw notFound();
  return raw.toLowerCase();
}

/** An existing workspace's id, given its id or slug, checked on the write side. */
async function workspaceIdOf(store: EventStore, ref: number | string): Promise<number> {
  const id = typeof ref === 'number' ? ref : Number(await ownerOf(store, reservationStream('slug', ref)));
  const state =
    Number.isInteger(id) && id > 0
      ? await currentState(store, workspaceStream(id), workspaceDecider)
      : { status: 'none' };
  if (state.status !== 'active') throw fieldError('workspace', 'Workspace does not exist.');
  return id;
}

function requirePrivileged(ctx: CommandContext) {
  const actor = requireActor(ctx);
  if (!isPrivileged(actor.role)) throw forbidden();
  return actor;
}

export async function createEmbedConfig(store: EventStore, rawInput: unknown, ctx: CommandContext) {
  const actor = requirePrivileged(ctx);
  const { workspace, ...rest } = parseInput(createEmbedInput, rawInput);
  const settings = {
    workspaceId: await workspaceIdOf(store, workspace),
    enabled: true,
    chatMode: 'query' as const,
    allowlistDomains: [],
    maxChatsPerDay: null,
    messageLimit: null,
    ...toEmbedChanges(rest),
  };
  const uuid = randomUUID();
  const result = await handleCommand(
    store,
    embedStream(uuid),
    embedConfigDecider,
    { type: 'CreateEmbedConfig', actor, uuid, settings, now: ctx.now },
    ctx,
  );
  return { uuid, position: result.position };
}

export async function updateEmbedConfig(store: EventStore, rawUuid: unknown, rawInput: unknown, ctx: CommandContext) {
  const actor = requirePrivileged(ctx);
  const uuid = embedUuid(rawUuid);
  const { workspace, ...rest } = parseInput(updateEmbedInput, rawInput);
  const changes: EmbedChanges = {
    ...toEmbedChanges(rest),
    ...(workspace !== undefined ? { workspaceId: await workspaceIdOf(store, workspace) } : {}),
  };
  const result = await handleCommand(
    store,
    embedStream(uuid),
    embedConfigDecider,
    { type: 'UpdateEmbedConfig', actor, changes, now: ctx.now },
    ctx,
  );
  return { uuid, position: result.position };
}

export async function toggleEmbedConfig(store: EventStore, rawUuid: unknown, ctx: CommandContext) {
  const actor = requirePrivileged(ctx);
  const uuid = embedUuid(rawUuid);
  const result = await handleCommand(
    store,
    embedStream(uuid),
    embedConfigDecider,
    { type: 'ToggleEmbedConfig', actor, now: ctx.now },
    ctx,
  );
  return { uuid, position: result.position };
}

export async function deleteEmbedConfig(store: EventStore, rawUuid: unknown, ctx: CommandContext) {
  const actor = requirePrivileged(ctx);
  const uuid = embedUuid(rawUuid);
  const result = await handleCommand(
    store,
    embedStream(uuid),
    embedConfigDecider,
    { type: 'DeleteEmbedConfig', actor, now: ctx.now },
    ctx,
  );
  return { uuid, position: result.position };
}
