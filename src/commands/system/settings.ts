import { forbidden, notFound } from '../../domain/shared/errors.js';
import {
  isSettingLabel,
  SETTING_LABELS,
  SETTING_RULES,
  type SettingLabel,
  type SettingValue,
  settingDecider,
  settingStream,
} from '../../domain/system/settings.js';
import type { EventStore } from '../../infra/eventstore/port.js';
import type { CommandContext } from '../shared/context.js';
import { handleCommand } from '../shared/handle.js';

type Value = SettingValue;

/** A setting's value straight from its stream: commands must not decide on an eventually consistent read model. */
export async function currentSetting(store: EventStore, label: SettingLabel): Promise<Value> {
  const [last] = await store.readStream(settingStream(label), { direction: 'backwards', maxCount: 1 });
  return last ? last.data.value : SETTING_RULES[label].defaultValue;
}

export async function updateSetting(store: EventStore, label: string, rawInput: unknown, ctx: CommandContext) {
  if (ctx.actor?.role !== 'admin') throw forbidden();
  if (!isSettingLabel(label)) throw notFound();
  const input = (rawInput ?? {}) as { value?: unknown };
  // Rules may depend on other settings (the overlap must stay below the chunk size), read consistently.
  const others = new Map<SettingLabel, Value>();
  for (const other of SETTING_LABELS) if (other !== label) others.set(other, await currentSetting(store, other));
  return handleCommand(
    store,
    settingStream(label),
    settingDecider,
    {
      type: 'UpdateSetting',
      label,
      value: input.value,
      now: ctx.now,
      current: (l) => others.get(l) ?? SETTING_RULES[l].defaultValue,
    },
    ctx,
  );
}
