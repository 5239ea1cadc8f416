import { createRequire } from 'node:module';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { loadConfig } from './config.js';
import { listenWhileStarting } from './startup-server.js';

/**
 * The application's largest parts, in the order they depend on each other, loaded one per turn of
 * the event loop before the application itself. Node loads modules synchronously: in one piece the
 * application held the loop, /healthz with it, for ~0.7 s on a quiet machine (~1.8 s at load 9 on two
 * cores); in these pieces, for at most ~0.3 s at load 9. Loaded through `require`, as the compiled
 * application loads them, so that each is loaded once (`import` would take a package's ESM build).
 */
const LOAD_FIRST = [
  'graphql',
  'zod',
  'graphql-scalars',
  'type-graphql',
  '@apollo/server',
  'express',
  'nodemailer',
  'prom-client',
  'jsonwebtoken',
  'multer',
  'ws',
  'pino',
  './graphql/schema.js',
  './rest/http-app.js',
];

async function loadInPieces(): Promise<void> {
  const load = createRequire(__filename);
  for (const specifier of LOAD_FIRST) {
    load(specifier);
    await nextTurn();
  }
}

/**
 * `npm start`: embedded adapters unless ESDB_URL / MONGODB_URL / REDIS_URL say otherwise. An API process
 * listens before it loads the application (about a second of module loading, then the stores), so
 * /healthz answers at once and /readyz tells how the start goes.
 */
async function main() {
  const config = loadConfig();
  const listening = config.roles.has('api')
    ? await listenWhileStarting(config.httpTimeouts, config.port, config.host)
    : undefined;
  if (listening) await loadInPieces();
  const [{ startChronicle }, { loadTokenizer }] = await Promise.all([
    import('./app.js'),
    import('./ai/prompt/tokens.js'),
  ]);
  const chronicle = await startChronicle(config, undefined, { listening });
  // The tokenizer's tables take a second or two to load: pay that now rather than in the first chat.
  setImmediate(loadTokenizer);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.error(`${signal} received, shutting down`);
    chronicle.close().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
