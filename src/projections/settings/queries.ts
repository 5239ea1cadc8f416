import { SETTING_LABELS, SETTING_RULES } from '../../domain/system/settings.js';
import type { ReadStore } from '../../infra/readstore/port.js';
import { SETTINGS } from './projection.js';

/** Every setting with its current value; a setting never changed shows its default. */
export async function listSettings(db: ReadStore) {
  const stored = new Map((await db.collection(SETTINGS).find({})).map((d) => [d._id, d]));
  return SETTING_LABELS.map((label) => ({
    label,
    value: stored.get(label)?.value ?? SETTING_RULES[label].defaultValue,
    updated_at: (stored.get(label)?.updated_at as string | undefined) ?? null,
  }));
}
