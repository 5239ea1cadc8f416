'use strict';
/**
 * The baselines' tiny hand-written GraphQL schema: a Workspace type with the fields the benches
 * select (same names, types and nullability as Chronicle's, DateTime from graphql-scalars as there),
 * `workspaces` answered from memory and `workspaceEvents(slug)` fed by a minimal in-memory pub/sub.
 */
const {
  GraphQLSchema,
  GraphQLObjectType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLString,
  GraphQLInt,
  GraphQLFloat,
  GraphQLID,
} = require('graphql');
const { DateTimeResolver } = require('graphql-scalars');

const nn = (t) => new GraphQLNonNull(t);

const Workspace = new GraphQLObjectType({
  name: 'Workspace',
  fields: {
    id: { type: nn(GraphQLID) },
    slug: { type: nn(GraphQLString) },
    name: { type: nn(GraphQLString) },
    chatMode: { type: nn(GraphQLString) },
    chatProvider: { type: GraphQLString },
    chatModel: { type: GraphQLString },
    openaiTemp: { type: nn(GraphQLFloat) },
    topN: { type: nn(GraphQLInt) },
    userCount: { type: nn(GraphQLInt) },
    documentCount: { type: nn(GraphQLInt) },
    createdAt: { type: nn(DateTimeResolver) },
  },
});

const WorkspaceEvent = new GraphQLObjectType({
  name: 'WorkspaceEvent',
  fields: {
    type: { type: nn(GraphQLString) },
    position: { type: nn(GraphQLInt) },
    occurredAt: { type: nn(DateTimeResolver) },
    workspace: { type: Workspace },
  },
});

/** Per-topic subscriber queues; publish() pushes one payload object to each (no copy). */
function memoryPubSub() {
  const topics = new Map();
  return {
    publish(topic, payload) {
      for (const push of topics.get(topic) ?? []) push(payload);
    },
    subscribe(topic) {
      const queue = [];
      let wake = null;
      let done = false;
      let subs = topics.get(topic);
      if (!subs) topics.set(topic, (subs = new Set()));
      const push = (p) => {
        queue.push(p);
        if (wake) wake();
      };
      subs.add(push);
      const it = {
        async next() {
          while (!done) {
            if (queue.length) return { value: queue.shift(), done: false };
            await new Promise((r) => (wake = r));
            wake = null;
          }
          return { value: undefined, done: true };
        },
        async return() {
          done = true;
          subs.delete(push);
          if (wake) wake();
          return { value: undefined, done: true };
        },
        [Symbol.asyncIterator]() {
          return it;
        },
      };
      return it;
    },
  };
}

/** `items` are Chronicle's GraphQL workspaces (camelCase). */
function baselineSchema(items, pubsub = memoryPubSub()) {
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: { workspaces: { type: nn(new GraphQLList(nn(Workspace))), resolve: () => items } },
    }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        workspaceEvents: {
          type: nn(WorkspaceEvent),
          args: { slug: { type: nn(GraphQLString) } },
          subscribe: (_root, { slug }) => pubsub.subscribe(`workspace:${slug}`),
          resolve: (payload) => payload,
        },
      },
    }),
  });
  return { schema, pubsub };
}

module.exports = { baselineSchema, memoryPubSub };
