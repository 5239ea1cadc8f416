import type { Decider } from '../shared/decider.js';
import { conflict, forbidden, notFound } from '../shared/errors.js';
import { isPrivileged, type Role } from '../identity/roles.js';
import type { EmbedChanges, EmbedConfigEvent, EmbedSettings } from './events.js';

export type EmbedConfigState =
  { status: 'none' } | { status: 'active' | 'deleted'; uuid: string; settings: EmbedSettings };

export interface EmbedActor {
  userId: number;
  role: Role;
}

export type EmbedConfigCommand =
  | { type: 'CreateEmbedConfig'; actor: EmbedActor; uuid: string; settings: EmbedSettings; now: Date }
  | { type: 'UpdateEmbedConfig'; actor: EmbedActor; changes: EmbedChanges; now: Date }
  /** Flips `enabled`. */
  | { type: 'ToggleEmbedConfig'; actor: EmbedActor; now: Date }
  | { type: 'DeleteEmbedConfig'; actor: EmbedActor; now: Date };

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Embed configs are managed by admins and managers only. */
export function decide(command: EmbedConfigCommand, state: EmbedConfigState): EmbedConfigEvent[] {
  if (!isPrivileged(command.actor.role)) throw forbidden();
  const at = command.now.toISOString();
  if (command.type === 'CreateEmbedConfig') {
    if (state.status !== 'none') throw conflict('Embed config already exists.');
    return [
      {
        type: 'EmbedConfigCreated',
        data: { uuid: command.uuid, settings: command.settings, createdBy: command.actor.userId, at },
      },
    ];
  }
  if (state.status !== 'active') throw notFound();
  const { uuid } = state;
  switch (command.type) {
    case 'UpdateEmbedConfig': {
      const changes: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(command.changes)) {
        if (value !== undefined && !sameValue(value, state.settings[key as keyof EmbedSettings])) changes[key] = value;
      }
      return Object.keys(changes).length ? [{ type: 'EmbedConfigUpdated', data: { uuid, changes, at } }] : [];
    }
    case 'ToggleEmbedConfig':
      return [{ type: 'EmbedConfigUpdated', data: { uuid, changes: { enabled: !state.settings.enabled }, at } }];
    case 'DeleteEmbedConfig':
      return [{ type: 'EmbedConfigDeleted', data: { uuid, at } }];
  }
}

export function evolve(state: EmbedConfigState, event: EmbedConfigEvent): EmbedConfigState {
  switch (event.type) {
    case 'EmbedConfigCreated':
      return { status: 'active', uuid: event.data.uuid, settings: event.data.settings };
    case 'EmbedConfigUpdated':
      return state.status === 'none' ? state : { ...state, settings: { ...state.settings, ...event.data.changes } };
    case 'EmbedConfigDeleted':
      return state.status === 'none' ? state : { ...state, status: 'deleted' };
    default:
      return state;
  }
}

export const embedConfigDecider: Decider<EmbedConfigState, EmbedConfigCommand, EmbedConfigEvent> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};
