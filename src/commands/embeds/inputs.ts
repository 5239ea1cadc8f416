import { z } from 'zod';
import { allowlistHost } from '../../domain/embeds/allowlist.js';
import { EMBED_CHAT_MODES, type EmbedChanges } from '../../domain/embeds/events.js';
import { TEXT_LIMITS } from '../shared/validation.js';

const limit = z
  .number({ error: 'A valid integer is required.' })
  .int('A valid integer is required.')
  .min(1, 'Ensure this value is greater than or equal to 1.')
  .max(1_000_000, 'Ensure this value is less than or equal to 1000000.')
  .nullable();

/** A comma-separated string (as the spec sends it) or a list; each entry must name a host. */
const allowlist = z
  .union([z.string(), z.array(z.string())], { error: 'Expected a comma-separated string or a list of domains.' })
  .transform((value, ctx) => {
    const entries = (Array.isArray(value) ? value : value.split(',')).map((e) => e.trim()).filter(Boolean);
    const hosts: string[] = [];
    for (const entry of entries) {
      const host = allowlistHost(entry);
      if (!host) ctx.addIssue({ code: 'custom', message: `"${entry.slice(0, 100)}" is not a valid domain.` });
      else if (!hosts.includes(host)) hosts.push(host);
    }
    if (hosts.length > 100) ctx.addIssue({ code: 'custom', message: 'Ensure there are no more than 100 domains.' });
    return hosts;
  });

/** The workspace by id (as the spec shows it) or by slug. */
const workspaceRef = z.union([z.number().int().positive(), z.string().trim().min(1).max(TEXT_LIMITS.name)], {
  error: (i) => (i.input === undefined ? 'This field is required.' : 'A workspace id or slug is required.'),
});

const shape = {
  workspace: workspaceRef,
  enabled: z.boolean({ error: 'Must be a boolean.' }),
  chat_mode: z.enum(EMBED_CHAT_MODES, { error: `Must be one of: ${EMBED_CHAT_MODES.join(', ')}.` }),
  allowlist_domains: allowlist,
  max_chats_per_day: limit,
  message_limit: limit,
};

const unknownKeys = {
  error: (issue: { code?: string; keys?: string[] }) =>
    issue.code === 'unrecognized_keys' ? `Unknown field(s): ${issue.keys?.join(', ')}.` : 'Expected an object.',
};

export const createEmbedInput = z.strictObject(
  { ...z.object(shape).partial().shape, workspace: workspaceRef },
  unknownKeys,
);
export const updateEmbedInput = z.strictObject(z.object(shape).partial().shape, unknownKeys);

type Parsed = z.infer<typeof updateEmbedInput>;

/** snake_case API fields to the domain's settings (the workspace is resolved separately). */
export function toEmbedChanges(input: Omit<Parsed, 'workspace'>): Omit<EmbedChanges, 'workspaceId'> {
  const changes: Omit<EmbedChanges, 'workspaceId'> = {};
  if (input.enabled !== undefined) changes.enabled = input.enabled;
  if (input.chat_mode !== undefined) changes.chatMode = input.chat_mode;
  if (input.allowlist_domains !== undefined) changes.allowlistDomains = input.allowlist_domains;
  if (input.max_chats_per_day !== undefined) changes.maxChatsPerDay = input.max_chats_per_day;
  if (input.message_limit !== undefined) changes.messageLimit = input.message_limit;
  return changes;
}
