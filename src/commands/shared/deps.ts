import type { EventStore } from '../../infra/eventstore/port.js';
import type { ReadStore } from '../../infra/readstore/port.js';
import type { TokenService } from '../identity/tokens.js';

/** What command handlers and queries are given by the composition root. */
export interface CommandDeps {
  store: EventStore;
  db: ReadStore;
  tokens: TokenService;
}
