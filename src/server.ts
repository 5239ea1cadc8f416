import { loadTokenizer } from './ai/prompt/tokens.js';
import { startChronicle } from './app.js';
import { loadConfig } from './config.js';

/** `npm start`: embedded adapters unless ESDB_URL / MONGODB_URL / REDIS_URL say otherwise. */
async function main() {
  const chronicle = await startChronicle(loadConfig());
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
