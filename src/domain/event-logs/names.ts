/** AnythingLLM's names for the events it logs; every other event is logged under its snake_case type. */
const ANYTHINGLLM_NAMES: Record<string, string> = {
  UserLoggedIn: 'login_event',
  LoginFailedInvalidUsername: 'failed_login_invalid_username',
  LoginFailedInvalidPassword: 'failed_login_invalid_password',
  UserRegistered: 'user_created',
  ThreadCreated: 'workspace_thread_created',
  ThreadRenamed: 'workspace_thread_renamed',
  ThreadDeleted: 'workspace_thread_deleted',
  ChatCompleted: 'sent_chat',
  EmbedChatCompleted: 'sent_chat',
  ApiKeyRevoked: 'api_key_deleted',
  // An upload here always lands in a workspace, yet it is AnythingLLM's upload, not its
  // `workspace_documents_added` (attaching an already uploaded document to a workspace), which has no twin here.
  DocumentUploaded: 'document_uploaded',
  DocumentProcessed: 'document_embedded',
  SettingUpdated: 'update_system_setting',
  // The agent's events log as `agent_<what>`; only this one's snake_case would differ.
  AgentMessageSent: 'agent_message',
};

/** Memoised: the same few names come back for every event, and replay converts millions. */
function memo(fn: (s: string) => string): (s: string) => string {
  const cache = new Map<string, string>();
  return (s) => {
    let out = cache.get(s);
    if (out === undefined) cache.set(s, (out = fn(s)));
    return out;
  };
}

export const snakeCase = memo((s) =>
  s
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase(),
);

export const eventLogName = memo((type) => ANYTHINGLLM_NAMES[type] ?? snakeCase(type));

/** Event types whose log name is `name` (the reverse lookup, for filtering by name). */
export function typesNamed(name: string, knownTypes: Iterable<string>): string[] {
  return [...knownTypes].filter((t) => eventLogName(t) === name);
}
