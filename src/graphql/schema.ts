import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { IdentityResolver } from './identity/resolver.js';

export function buildChronicleSchema(): Promise<GraphQLSchema> {
  return buildSchema({ resolvers: [IdentityResolver], validate: false });
}
