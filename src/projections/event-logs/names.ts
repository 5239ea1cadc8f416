/** AnythingLLM's names for the events it logs; every other event is logged under its snake_case type. */
const ANYTHINGLLM_NAMES: Record<string, string> = {
  UserLoggedIn: 'login_event',
  LoginFailedInvalidUsername: 'failed_login_invalid_username',
  LoginFailedInvalidPassword: 'failed_login_invalid_password',
  UserRegistered: 'user_created',
  ChatCompleted: 'sent_chat',
  EmbedChatCompleted: 'sent_chat',
  ApiKeyRevoked: 'api_key_deleted',
  DocumentProcessed: 'document_embedded',
  SettingUpdated: 'update_system_setting',
};

export const snakeCase = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();

export const eventLogName = (type: string) => ANYTHINGLLM_NAMES[type] ?? snakeCase(type);

/** Event types whose log name is `name` (the reverse lookup, for filtering by name). */
export function typesNamed(name: string, knownTypes: Iterable<string>): string[] {
  return [...knownTypes].filter((t) => eventLogName(t) === name);
}
