import type { EventStore } from '../../infra/eventstore/port.js';
import type { FileStore } from '../../infra/files/port.js';
import type { KeyStore } from '../../infra/keystore/port.js';
import type { ReadStore } from '../../infra/readstore/port.js';
import type { ReadTokenHolder } from '../identity/authenticate.js';
import type { TokenService } from '../identity/tokens.js';

/** What command handlers and queries are given by the composition root. */
export interface CommandDeps {
  store: EventStore;
  /** The subjects' keys the event store seals personal data with; erasure destroys one. */
  keys: KeyStore;
  db: ReadStore;
  tokens: TokenService;
  /** The user a token names, for the check that it may still act. */
  readUser: ReadTokenHolder;
  /** Uploaded files (`<DATA_DIR>/files`). */
  files: FileStore;
}
