import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The layer rules of .dependency-cruiser.cjs, run by dependency-cruiser itself over a small source tree
 * laid out like src/: each module below imports one thing, and the check must name exactly the
 * imports the architecture forbids (and none of those it allows).
 */
const ROOT = path.resolve(__dirname, '../..');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

/** module → the modules it imports (each file exports one constant, so every import is used). */
type Tree = Record<string, string[]>;

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

async function violationsIn(tree: Tree): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'chronicle-layers-'));
  try {
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true },
        include: ['src'],
      }),
    );
    for (const [file, imports] of Object.entries(tree)) {
      const at = path.join(dir, file);
      mkdirSync(path.dirname(at), { recursive: true });
      const lines = imports.map((to, i) => {
        let rel = path.relative(path.dirname(file), to).replace(/\.ts$/, '.js');
        if (!rel.startsWith('.')) rel = `./${rel}`;
        return `import { x as x${i} } from '${rel}';`;
      });
      writeFileSync(at, `${lines.join('\n')}\nexport const x = [${imports.map((_, i) => `x${i}`).join(', ')}];\n`);
    }
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [DEPCRUISE, 'src', '--config', CONFIG, '--output-type', 'json'],
      { cwd: dir },
    ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' })); // exits non-zero when it finds violations
    const violations = JSON.parse(stdout).summary.violations as Violation[];
    return violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the layer rules', () => {
  it('given imports that follow the layers, then nothing is reported', async () => {
    expect(
      await violationsIn({
        'src/domain/chats/chat.ts': ['src/domain/shared/errors.ts'],
        'src/domain/shared/errors.ts': [],
        'src/infra/eventstore/port.ts': ['src/domain/shared/errors.ts'],
        'src/infra/eventstore/sqlite.ts': ['src/infra/eventstore/port.ts', 'src/domain/shared/errors.ts'],
        'src/ai/llm/port.ts': [],
        'src/ai/llm/openai.ts': ['src/ai/llm/port.ts'],
        'src/ai/prompt/assemble.ts': [],
        'src/commands/chats/send.ts': [
          'src/domain/chats/chat.ts',
          'src/infra/eventstore/port.ts',
          'src/ai/llm/port.ts',
          'src/ai/prompt/assemble.ts',
        ],
        'src/projections/chats/queries.ts': ['src/domain/chats/chat.ts', 'src/infra/eventstore/port.ts'],
        'src/transport/deps.ts': ['src/commands/chats/send.ts', 'src/projections/chats/queries.ts'],
        'src/rest/routes/chats.ts': [
          'src/commands/chats/send.ts',
          'src/projections/chats/queries.ts',
          'src/transport/deps.ts',
        ],
        'src/graphql/resolver.ts': ['src/commands/chats/send.ts', 'src/transport/deps.ts'],
        'src/realtime/chat-socket.ts': ['src/transport/deps.ts'],
        'src/jobs/reactor.ts': [
          'src/commands/chats/send.ts',
          'src/projections/chats/queries.ts',
          'src/infra/eventstore/port.ts',
        ],
        'src/app.ts': [
          'src/infra/eventstore/sqlite.ts',
          'src/ai/llm/openai.ts',
          'src/rest/routes/chats.ts',
          'src/jobs/reactor.ts',
        ],
      }),
    ).toEqual([]);
  });

  it('given each forbidden crossing, then each is reported under its rule', async () => {
    expect(
      await violationsIn({
        'src/domain/chats/chat.ts': ['src/infra/eventstore/port.ts'],
        'src/infra/eventstore/port.ts': [],
        'src/infra/eventstore/sqlite.ts': ['src/projections/logs/entry.ts'],
        'src/ai/llm/select.ts': [],
        'src/commands/chats/send.ts': ['src/projections/chats/queries.ts', 'src/ai/llm/select.ts'],
        'src/projections/chats/queries.ts': ['src/commands/shared/context.ts'],
        'src/commands/shared/context.ts': [],
        'src/projections/logs/entry.ts': [],
        'src/rest/errors.ts': [],
        'src/graphql/errors.ts': ['src/rest/errors.ts'],
        'src/realtime/socket.ts': ['src/infra/eventstore/sqlite.ts'],
        'src/transport/deps.ts': ['src/rest/errors.ts'],
        'src/jobs/a.ts': ['src/jobs/b.ts'],
        'src/jobs/b.ts': ['src/jobs/a.ts'],
        'src/jobs/c.ts': ['src/rest/errors.ts', 'src/jobs/missing.ts'],
        'src/config.ts': [],
        'src/rest/routes/system.ts': ['src/config.ts'],
        'src/projections/users/projection.ts': [],
        'src/graphql/loaders.ts': ['src/projections/users/projection.ts'],
      }),
    ).toEqual([
      'commands-use-domain-and-ports: src/commands/chats/send.ts → src/ai/llm/select.ts',
      'commands-use-domain-and-ports: src/commands/chats/send.ts → src/projections/chats/queries.ts',
      'domain-is-pure: src/domain/chats/chat.ts → src/infra/eventstore/port.ts',
      'infra-imports-no-layer-above: src/infra/eventstore/sqlite.ts → src/projections/logs/entry.ts',
      'jobs-use-commands-queries-and-ports: src/jobs/c.ts → src/rest/errors.ts',
      'no-circular: src/jobs/a.ts → src/jobs/b.ts',
      'no-unresolvable: src/jobs/c.ts → ./missing.js',
      'nothing-imports-the-entry-points: src/rest/routes/system.ts → src/config.ts',
      'only-app-knows-adapters: src/commands/chats/send.ts → src/ai/llm/select.ts',
      'only-app-knows-adapters: src/realtime/socket.ts → src/infra/eventstore/sqlite.ts',
      'projections-use-domain-and-ports: src/projections/chats/queries.ts → src/commands/shared/context.ts',
      'transport-shared-below-transports: src/transport/deps.ts → src/rest/errors.ts',
      'transports-do-not-import-each-other: src/graphql/errors.ts → src/rest/errors.ts',
      'transports-read-through-queries: src/graphql/loaders.ts → src/projections/users/projection.ts',
    ]);
  });
});
