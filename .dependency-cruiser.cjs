/**
 * The architecture, checked by `npm run lint:arch` (dependency-cruiser).
 *
 *   domain          pure rules and events: imports nothing outside itself
 *   ports           infra/<x>/port.ts, ai/<x>/port.ts (and ai/llm/agent-port.ts): interfaces (and their errors) with adapters behind
 *   commands        authorize → load stream → decide → append: domain, ports, prompt assembly
 *   projections     event → read model, and the queries on it: domain and ports
 *   ai              LLM providers, retrieval index (it follows the documents read model), prompt assembly
 *   transport       what the transports share: request context, client address, the internal-error text,
 *                   rate limits, chat export files
 *   rest, graphql, realtime
 *                   thin faces over commands and projection queries; none imports another
 *   jobs            reactors and workers: commands, queries, ports
 *   infra adapters  import only infra and domain
 *   app.ts, stores.ts  the composition root (stores.ts opens the adapters), with the entry points, alone picks them
 *
 * Type-only imports count: a type is as much a dependency as a value.
 */
const TRANSPORTS = '^src/(rest|graphql|realtime)/';
const PORT = '^src/(infra|ai)/.+/(agent-)?port\\.ts$';
const ENTRY_POINTS = '^src/(app|stores|server|cli|config|server-lock)\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle ties modules into one: split out what both sides need.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import the check cannot resolve is one it cannot judge.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'The domain is events, state and decide/evolve: no I/O, no library, no other layer.',
      from: { path: '^src/domain/' },
      to: { pathNot: '^src/domain/' },
    },
    {
      name: 'commands-use-domain-and-ports',
      severity: 'error',
      comment:
        'A command handler sees the domain and port interfaces; a read it needs is passed in as a function or port.',
      from: { path: '^src/commands/' },
      to: { path: '^src/', pathNot: ['^src/(domain|commands)/', PORT, '^src/ai/prompt/'] },
    },
    {
      name: 'projections-use-domain-and-ports',
      severity: 'error',
      comment: 'A projector turns events into read-model documents through the ports; queries read them back.',
      from: { path: '^src/projections/' },
      to: { path: '^src/', pathNot: ['^src/(domain|projections)/', PORT] },
    },
    {
      name: 'ai-below-commands',
      severity: 'error',
      comment:
        'LLM providers and retrieval may read the read models (the index follows the documents) but never commands or transports.',
      from: { path: '^src/ai/' },
      to: { path: '^src/(commands|rest|graphql|realtime|transport|jobs)/' },
    },
    {
      name: 'transports-do-not-import-each-other',
      severity: 'error',
      comment: 'REST, GraphQL and WebSockets share through src/transport/, never through one another.',
      from: { path: TRANSPORTS },
      to: { path: TRANSPORTS, pathNot: '^src/$1/' },
    },
    {
      name: 'transports-read-through-queries',
      severity: 'error',
      comment: "A transport reads a read model through its queries, never through the projector's collections.",
      from: { path: ['^src/(rest|graphql|realtime|transport)/'] },
      to: { path: '^src/projections/[^/]+/projection\\.ts$' },
    },
    {
      name: 'transport-shared-below-transports',
      severity: 'error',
      comment: 'What the transports share knows none of them.',
      from: { path: '^src/transport/' },
      to: { path: [TRANSPORTS, '^src/jobs/'] },
    },
    {
      name: 'only-app-knows-adapters',
      severity: 'error',
      comment: 'Adapters are chosen and wired by src/app.ts; every other layer talks to ports.',
      from: { path: '^src/', pathNot: ['^src/(infra|ai)/', ENTRY_POINTS] },
      to: { path: '^src/(infra|ai)/', pathNot: [PORT, '^src/ai/prompt/'] },
    },
    {
      name: 'jobs-use-commands-queries-and-ports',
      severity: 'error',
      comment: 'Background jobs act through commands and read through queries, like a transport without a client.',
      from: { path: '^src/jobs/' },
      to: { path: [TRANSPORTS, '^src/transport/'] },
    },
    {
      name: 'infra-imports-no-layer-above',
      severity: 'error',
      comment: 'Ports and adapters sit below commands and projections; they may know the domain, nothing above.',
      from: { path: '^src/infra/' },
      to: { path: '^src/', pathNot: '^src/(infra|domain)/' },
    },
    {
      name: 'nothing-imports-the-entry-points',
      severity: 'error',
      comment: 'The composition root and entry points are the top: no layer reaches back into them.',
      from: { path: '^src/', pathNot: ENTRY_POINTS },
      to: { path: ENTRY_POINTS },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Package subpaths (graphql-ws/use/ws) resolve through their `exports` map, as Node resolves them.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['require', 'node', 'default', 'types'] },
  },
};
