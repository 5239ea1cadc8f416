'use strict';
/**
 * Child process: baseline for subscription fan-out. graphql-ws `useServer` on a `ws`
 * WebSocketServer at /graphql over the tiny schema of schema.js, with an in-memory pub/sub; and a
 * bare HTTP endpoint, POST /publish {slug, topN}, that publishes one WorkspaceEvent of the same shape
 * Chronicle pushes (type, position, occurredAt, workspace{...}) and answers {position} once published.
 * Connections are accepted whatever their connection_init payload. argv[3]: the workspace (GraphQL
 * camelCase JSON, as Chronicle answered it) whose events are published.
 * IPC as chronicle-server.js.
 */
const fs = require('node:fs');
const http = require('node:http');
const { childMain } = require('../lib/common.js');
const { baselineSchema } = require('./schema.js');

childMain(async () => {
  const { WebSocketServer } = require('ws');
  const { useServer } = require('graphql-ws/use/ws');
  const workspace = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  const { schema, pubsub } = baselineSchema([workspace]);
  let position = 1000;

  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/publish') {
      res.writeHead(404).end();
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const { slug, topN } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const at = new Date().toISOString();
      position++;
      Object.assign(workspace, { topN });
      pubsub.publish(`workspace:${slug}`, {
        type: 'WorkspaceUpdated',
        position,
        occurredAt: at,
        workspace: { ...workspace },
      });
      const body = JSON.stringify({ position });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
    });
  });
  const wss = new WebSocketServer({ server, path: '/graphql' });
  const cleanup = useServer({ schema }, wss);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

  process.on('message', async (m) => {
    if (m.cmd === 'stop') {
      await cleanup.dispose();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      process.send({ stopped: true }, () => process.exit(0));
    }
  });
  process.send({ ready: true, url: `http://127.0.0.1:${server.address().port}`, pid: process.pid });
});
