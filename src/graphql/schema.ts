import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import type { PubSub } from '../infra/pubsub/port.js';
import { AccessResolver } from './access/resolver.js';
import { AgentResolver } from './agents/resolver.js';
import { EmbedResolver } from './embeds/resolver.js';
import { typeGraphqlPubSub } from './shared/channel-iterator.js';
import { DocumentResolver, WorkspaceDocumentsResolver } from './documents/resolver.js';
import { ChatResolver } from './chats/resolver.js';
import { IdentityResolver } from './identity/resolver.js';
import { SystemResolver } from './system/resolver.js';
import { AuditResolver } from './system/audit-resolver.js';
import { WorkspaceResolver } from './workspaces/resolver.js';

export function buildChronicleSchema(pubsub: PubSub): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [
      IdentityResolver,
      WorkspaceResolver,
      SystemResolver,
      AuditResolver,
      AccessResolver,
      EmbedResolver,
      DocumentResolver,
      WorkspaceDocumentsResolver,
      ChatResolver,
      AgentResolver,
    ],
    validate: false,
    pubSub: typeGraphqlPubSub(pubsub),
  });
}
