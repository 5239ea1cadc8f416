import type { RequestHandler } from 'express';
import type { WorkspaceKnowledge } from '../ai/retrieval/port.js';
import type { AuditSigner } from '../audit/signed-head.js';
import type { AgentInvocations } from '../commands/agents/invocations.js';
import type { RemoteInvocations } from '../commands/agents/remote-invocations.js';
import type { ChatDeps } from '../commands/chats/deps.js';
import type { CommandDeps } from '../commands/shared/deps.js';
import type { PubSub } from '../infra/pubsub/port.js';
import type { EventLogReader } from '../infra/event-logs/port.js';
import type { ProjectionProgress } from '../projections/shared/progress.js';
import type { TimeTravel } from '../projections/time-travel/time-travel.js';
import type { PublicOrigin } from './public-base-url.js';
import type { AuthRateLimit, UserRateLimit } from './rate-limit.js';

/** What the composition root gives every transport (REST, GraphQL, WebSockets): commands' and queries' services. */
export interface TransportDeps extends CommandDeps, ChatDeps {
  progress: ProjectionProgress;
  authRateLimit: AuthRateLimit;
  /** The general per-user (or per-client) limit on REST and GraphQL requests (graphql-ws operations included). */
  apiRateLimit: UserRateLimit;
  /** Where the projection runner announces what the read models now include (GraphQL subscriptions listen). */
  pubsub: PubSub;
  /** The event log: from the event store's own table (embedded) or from the event_logs projection. */
  eventLogs: EventLogReader;
  /** Search over the workspaces' documents and their pinned texts (chat stands on it). */
  knowledge: WorkspaceKnowledge;
  /** Document uploads: the largest accepted (bytes) and the per-user rate limit middleware. */
  uploads: { maxBytes: number; rateLimit: RequestHandler };
  /** Signs the head of the event log's hash chain with the key kept in DATA_DIR. */
  audit: AuditSigner;
  /** Reads as of a past moment (`as_of`), rebuilt from snapshots and the log. */
  timeTravel: TimeTravel;
  /** PUBLIC_URL and ALLOWED_HOSTS: what absolute links in answers are built on. */
  publicOrigin: PublicOrigin;
  /** The agent invocations running in this process (the Agent WebSocket and GraphQL start and answer them). */
  agentInvocations: AgentInvocations;
  /** Answers and closes an invocation in whichever API process runs it (GraphQL requests may land anywhere). */
  remoteInvocations: RemoteInvocations;
}

/** Read-your-writes: answer only once the read models include what the command wrote (else NotYetReadableError, a 503). */
export const settled = (deps: TransportDeps, position: number) => deps.progress.settle(position);
