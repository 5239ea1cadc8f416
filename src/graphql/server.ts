import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import type { RequestHandler, Response } from 'express';
import { type DocumentNode, getOperationAST, GraphQLError, type GraphQLSchema, parse, type Source } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { authenticateSession, type BearerSession } from '../commands/access/authenticate.js';
import type { Actor } from '../commands/shared/context.js';
import { INVALID_TOKEN } from '../domain/identity/user.js';
import { DomainError } from '../domain/shared/errors.js';
import type { TransportDeps } from '../transport/deps.js';
import { clientAddress } from '../transport/client-address.js';
import { API_RATE_LIMITED } from '../transport/rate-limit.js';
import type { GraphQLContext } from './context.js';
import { formatError, notYetReadablePlugin } from './errors.js';
import {
  complexityError,
  complexityPlugin,
  depthRule,
  MAX_TOKENS,
  queryTooLong,
  tooManyFields,
  validateWithDepth,
} from './limits.js';
import { createLoaders } from './shared/loaders.js';
import { subscribeSharingExecution } from './shared/shared-execution.js';

export interface GraphQLEndpoint {
  http: RequestHandler;
  /** Takes WebSocket upgrades for /graphql (graphql-ws protocol). */
  ws: WebSocketServer;
  stop(): Promise<void>;
}

function bearerFrom(params: Record<string, unknown> | undefined): string | null {
  const header = params?.Authorization ?? params?.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1] : null;
}

/** Aborts once the HTTP exchange is over: the client went away (or the answer was sent, when nothing listens any more). */
function untilClosed(res: Response): AbortSignal {
  const gone = new AbortController();
  res.once('close', () => gone.abort());
  if (res.destroyed || !res.socket || res.socket.destroyed) gone.abort();
  return gone.signal;
}

/**
 * An HTTP request's context. Its signal is made when a resolver first asks (a chat's model call): the
 * controller, its listener and the AbortError built once the answer is sent were a measurable share of a
 * small query. A getter on the prototype, as Apollo copies the context's own properties per operation.
 */
class HttpContext implements GraphQLContext {
  private closed: AbortSignal | undefined;

  constructor(
    readonly actor: Actor | null,
    readonly deps: TransportDeps,
    readonly loaders: GraphQLContext['loaders'],
    readonly request: GraphQLContext['request'],
    private readonly res: Response,
  ) {}

  get signal(): AbortSignal {
    return (this.closed ??= untilClosed(this.res));
  }
}

/** Largest graphql-ws message: a sendChat's message and attachments fit, as in a REST body (ws allows 100 MiB by default). */
const MAX_WS_MESSAGE_BYTES = 1024 * 1024;

/** Query text is parsed with a bounded token count, so a huge document costs no more than a refusal. */
const boundedParse = (query: string | Source): DocumentNode => parse(query, { maxTokens: MAX_TOKENS });

/** Why `query` is refused before Apollo parses and validates it (too long, or selecting too many fields), or null. */
function oversized(query: unknown): GraphQLError | null {
  if (typeof query !== 'string') return null;
  const tooLong = queryTooLong(query);
  if (tooLong) return tooLong;
  let document: DocumentNode;
  try {
    document = boundedParse(query);
  } catch {
    return null; // Apollo answers the syntax error (its parse stops at the same token count)
  }
  return tooManyFields(document);
}

/**
 * Oversized queries are refused in the GraphQL error shape before Apollo sees them. Apollo offers no
 * hook between parsing and validation that can refuse (an error thrown from parsingDidEnd is not awaited),
 * so the query is parsed here once more: a bounded parse, a fraction of a millisecond for a usual query.
 */
const refuseOversizedQueries: RequestHandler = (req, res, next) => {
  const body = req.body as { query?: unknown } | undefined;
  const error = oversized(body?.query) ?? oversized(req.query?.query);
  if (!error) return next();
  res.status(400).json({ errors: [{ message: error.message, extensions: { code: error.extensions.code } }] });
};

/** GraphQL answers hold per-user data: never cached (what Apollo's cache-control plugin answers without hints). */
const noStorePlugin: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        response.http.headers.set('cache-control', 'no-store');
      },
    };
  },
};

/** Apollo over HTTP and graphql-ws over WebSocket on the same path, with the same schema and context. */
export async function graphqlEndpoint(
  schema: GraphQLSchema,
  deps: TransportDeps,
  log: (err: unknown) => void,
): Promise<GraphQLEndpoint> {
  const ws = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE_BYTES });
  type Connection = {
    extra: {
      actor?: Actor | null;
      session?: BearerSession | null;
      socket: { close(code: number, reason: string): void };
    };
  };
  /**
   * A connection acts only while its credentials would still be accepted: a revoked key, or a user
   * suspended (or whose password changed) since connection_init, is cut off before its next operation
   * or its next subscription event, as REST would refuse its next request. The actor's role is refreshed.
   */
  const stillActing = async (ctx: Connection): Promise<boolean> => {
    const session = ctx.extra.session;
    if (!session) return true;
    try {
      ctx.extra.actor = await session.current();
      return true;
    } catch (err) {
      if (!(err instanceof DomainError)) log(err);
      ctx.extra.socket.close(4403, 'Forbidden');
      return false;
    }
  };
  const wsCleanup = useServer<
    Record<string, unknown>,
    { actor?: Actor | null; session?: BearerSession | null; closed?: AbortSignal }
  >(
    {
      schema,
      parse: boundedParse,
      validate: validateWithDepth,
      subscribe: subscribeSharingExecution,
      // Parsed, validated and costed here (complexity needs the variables, which only onSubscribe sees), so a
      // refused operation costs no more than over HTTP; what passes goes to execution as it is.
      onSubscribe: async (ctx, _id, payload) => {
        if (!(await stillActing(ctx)))
          return [new GraphQLError(INVALID_TOKEN, { extensions: { code: 'UNAUTHENTICATED' } })];
        // Each operation spends the same per-user budget as a request over HTTP; past it, this operation errs and the socket stays.
        if (!(await deps.apiRateLimit.consume(ctx.extra.actor ?? null, clientAddress(ctx.extra.request)))) {
          return [new GraphQLError(API_RATE_LIMITED, { extensions: { code: 'RATE_LIMITED' } })];
        }
        // The HTTP status a refusal carries means nothing on a socket.
        const refused = (error: GraphQLError) => [
          new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: error.extensions.code } }),
        ];
        const tooLong = queryTooLong(payload.query);
        if (tooLong) return refused(tooLong);
        let document: DocumentNode;
        try {
          document = boundedParse(payload.query);
        } catch (err) {
          return [
            err instanceof GraphQLError
              ? err
              : new GraphQLError('Syntax Error: unreadable query.', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } }),
          ];
        }
        const tooLarge = tooManyFields(document);
        if (tooLarge) return refused(tooLarge);
        const invalid = validateWithDepth(schema, document);
        if (invalid.length) return [...invalid];
        const error = complexityError(schema, document, payload.variables ?? undefined, payload.operationName);
        if (error) return refused(error);
        return { schema, document, variableValues: payload.variables, operationName: payload.operationName };
      },
      // The same error shapes and masking as over HTTP.
      onNext: async (ctx, _id, _payload, args, result) => {
        // A subscription's events are checked; a query's or mutation's one answer was authorised when it started
        // (and a mutation that revoked the connection's own credentials still gets its answer).
        const streaming = getOperationAST(args.document, args.operationName)?.operation === 'subscription';
        if (streaming && !(await stillActing(ctx)))
          return { errors: [{ message: INVALID_TOKEN, extensions: { code: 'UNAUTHENTICATED' } }] };
        return 'errors' in result && result.errors?.length
          ? ({
              ...result,
              errors: result.errors.map((e) => formatError(e.toJSON(), e, log)),
            } as unknown as typeof result)
          : result;
      },
      // The JWT or API key comes in connection_init: { "Authorization": "Bearer ..." }; a bad one closes the socket (4403).
      onConnect: async (ctx) => {
        // The socket closing aborts what its operations still run (a sendChat's model call).
        const gone = new AbortController();
        ctx.extra.socket.once('close', () => gone.abort());
        ctx.extra.closed = gone.signal;
        const token = bearerFrom(ctx.connectionParams);
        if (!token) {
          ctx.extra.actor = null;
          ctx.extra.session = null;
          return true;
        }
        try {
          ctx.extra.session = await authenticateSession(deps, token);
          ctx.extra.actor = ctx.extra.session.actor;
          return true;
        } catch {
          return false;
        }
      },
      context: (ctx): GraphQLContext => ({
        actor: ctx.extra.actor ?? null,
        deps,
        loaders: createLoaders(deps.db),
        request: {
          id: `ws-${Date.now().toString(36)}`,
          ip: clientAddress(ctx.extra.request),
          userAgent: ctx.extra.request.headers['user-agent'] ?? null,
          idempotencyKey: null,
          baseUrl: `http://${ctx.extra.request.headers.host ?? 'localhost'}`,
        },
        signal: ctx.extra.closed ?? new AbortController().signal,
      }),
    },
    ws,
  );

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => formatError(formatted, error, log),
    // The HTTP server is closed by its owner (app.ts) before this endpoint stops.
    // Apollo's cache-control plugin wraps every field's resolver to collect cache hints, which this
    // schema never gives: off, with the header it would send (`no-store`) sent by noStorePlugin.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      noStorePlugin,
      complexityPlugin(schema),
      notYetReadablePlugin,
    ],
    validationRules: [depthRule],
    parseOptions: { maxTokens: MAX_TOKENS },
  });
  await apollo.start();

  const apolloHttp = expressMiddleware(apollo, {
    context: async ({ req, res }) =>
      new HttpContext(
        req.actor ?? null,
        deps,
        createLoaders(deps.db),
        {
          id: String(req.id),
          ip: req.ip ?? null,
          userAgent: req.get('User-Agent') ?? null,
          idempotencyKey: req.get('Idempotency-Key') ?? null,
          baseUrl: `${req.protocol}://${req.get('host')}`,
        },
        res,
      ),
  });

  const http: RequestHandler = (req, res, next) => refuseOversizedQueries(req, res, () => apolloHttp(req, res, next));

  return {
    http,
    ws,
    async stop() {
      await wsCleanup.dispose();
      await apollo.stop();
    },
  };
}
