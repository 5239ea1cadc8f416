import { randomUUID } from 'node:crypto';
import { agentStreamName } from '../../src/commands/agents/run-invocation.js';
import { handleCommand } from '../../src/commands/shared/handle.js';
import { CALL_CANCELLED, invocationDecider } from '../../src/domain/agents/invocation.js';
import { commandCtx } from '../support/context.js';
import { api, bearer, registerAndLogin, startTestServer, type TestServer } from '../support/server.js';

/**
 * An invocation whose process died stays open in the log; the restarted server's worker closes it, and
 * the API then shows it closed. The process that died is stood in for by appending what it had recorded.
 */
describe('agent invocations of a process that died', () => {
  let server: TestServer;
  afterEach(async () => server?.close());

  it('given an invocation left open hours ago with a call pending, when the server restarts, then it shows closed by timeout', async () => {
    server = await startTestServer();
    const admin = await registerAndLogin(server, 'root');
    const record = (id: string, command: Parameters<typeof invocationDecider.decide>[0]) =>
      handleCommand(server.deps.store, agentStreamName(id), invocationDecider, command, commandCtx());
    const open = (id: string, now: Date) =>
      record(id, {
        type: 'Invoke',
        invocationId: id,
        workspaceId: 1,
        userId: admin.user.id,
        message: 'Hi',
        clientTools: [],
        now,
      });
    const orphan = randomUUID();
    const hoursAgo = new Date(Date.now() - 3 * 3_600_000);
    await open(orphan, hoursAgo);
    await record(orphan, {
      type: 'CallTool',
      callId: 'c1',
      name: 'get_weather',
      arguments: { city: 'Oslo' },
      side: 'client',
      step: 1,
      now: hoursAgo,
    });
    const fresh = randomUUID();
    await open(fresh, new Date());
    const show = async (id: string) =>
      (await api(server, 'GET', `/api/agents/invocations/${id}/`, undefined, bearer(admin.access))).body;
    const until = async (check: () => Promise<boolean>) => {
      while (!(await check())) await new Promise((r) => setTimeout(r, 50));
    };
    await until(async () => (await show(orphan)).status === 'running');
    const dataDir = server.dataDir;
    await server.close();

    server = await startTestServer({}, dataDir);
    await until(async () => (await show(orphan)).status === 'closed');

    const closed = await show(orphan);
    expect(closed).toMatchObject({ status: 'closed', reason: 'timeout', step_count: 1 });
    expect(closed.steps.at(-1)).toMatchObject({ kind: 'tool_response', call_id: 'c1', error: CALL_CANCELLED });
    expect(await show(fresh)).toMatchObject({ status: 'running', reason: null });
    const stream = await server.deps.store.readStream(agentStreamName(fresh));
    expect(stream.map((e) => e.type)).toEqual(['AgentInvoked']);
  }, 60_000);
});
