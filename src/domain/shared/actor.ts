import type { Role } from '../identity/roles.js';

/** Who an event is recorded against: a user, a user's API key, an embed widget's visitor, or the system itself. */
export type ActorType = 'user' | 'api_key' | 'embed' | 'system';

/** Who is acting. API keys act as the user who created them, with that user's role. */
export interface Actor {
  type: Extract<ActorType, 'user' | 'api_key'>;
  userId: number;
  role: Role;
}
