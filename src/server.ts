import { loadConfig } from './config.js';
import { listenWhileStarting } from './startup-server.js';

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
