'use strict';
/**
 * Child process: baseline for the GraphQL list read. A bare Apollo Server 5 behind Express 5
 * (express.json() + expressMiddleware from @as-integrations/express5, nothing else) on /graphql, over
 * the tiny hand-written schema of schema.js, answering `workspaces` with the items Chronicle answered
 * (argv[3], a JSON array) from memory. No auth, no limits plugins, landing page off.
 * IPC as chronicle-server.js (stop, profile-start, profile-stop).
 */
const fs = require('node:fs');
const { childMain } = require('../lib/common.js');
const { baselineSchema } = require('./schema.js');

childMain(async () => {
  const express = require('express');
  const { ApolloServer } = require('@apollo/server');
  const { ApolloServerPluginLandingPageDisabled } = require('@apollo/server/plugin/disabled');
  const { expressMiddleware } = require('@as-integrations/express5');
  const items = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  const { schema } = baselineSchema(items);
  const apollo = new ApolloServer({ schema, plugins: [ApolloServerPluginLandingPageDisabled()] });
  await apollo.start();
  const app = express();
  app.use('/graphql', express.json(), expressMiddleware(apollo));
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  require('../lib/profiler.js').install(); // profile-start / profile-stop, for --diagnose
  process.on('message', async (m) => {
    if (m.cmd === 'stop') {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await apollo.stop();
      process.send({ stopped: true }, () => process.exit(0));
    }
  });
  process.send({ ready: true, url: `http://127.0.0.1:${server.address().port}`, pid: process.pid });
});
