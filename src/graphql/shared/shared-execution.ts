import {
  createSourceEventStream,
  type DocumentNode,
  execute,
  type ExecutionArgs,
  type ExecutionResult,
  print,
} from 'graphql';

/**
 * graphql's `subscribe`, except that subscribers handed the very same event object, with the same
 * operation and variables, share one execution of it. An event object is shared only where a
 * subscription shares it on purpose (`sharedEvent`), because nothing it resolves depends on the viewer.
 * A thousand subscribers of one workspace then cost one execution per change, not a thousand: executing
 * the selection per subscriber made the server fall behind a change every 100 ms (bench/fanout.js).
 */
export async function subscribeSharingExecution(
  args: ExecutionArgs,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!isAsyncIterable(source)) return source; // an error result: nothing to subscribe to
  const key = operationKey(args);
  const iterator = source[Symbol.asyncIterator]();
  const toResult = (event: unknown): Promise<ExecutionResult> => {
    if (event === null || typeof event !== 'object') return Promise.resolve(execute({ ...args, rootValue: event }));
    let byOperation = executions.get(event);
    if (!byOperation) executions.set(event, (byOperation = new Map()));
    let result = byOperation.get(key);
    if (!result) byOperation.set(key, (result = Promise.resolve(execute({ ...args, rootValue: event }))));
    return result;
  };
  // A plain iterator, not an async generator: return() must reach the source at once, even while next() waits.
  const mapped: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      const step = await iterator.next();
      return step.done ? { done: true, value: undefined } : { done: false, value: await toResult(step.value) };
    },
    async return() {
      await iterator.return?.();
      return { done: true, value: undefined };
    },
    async throw(err?: unknown) {
      await iterator.return?.();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return mapped;
}

/** Results by event object (gone with it) and operation. */
const executions = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

const printed = new WeakMap<DocumentNode, string>();

/** The operation as text (each subscriber's document is its own parse), its name and its variables. */
function operationKey(args: ExecutionArgs): string {
  let text = printed.get(args.document);
  if (text === undefined) printed.set(args.document, (text = print(args.document)));
  return JSON.stringify([text, args.operationName ?? null, args.variableValues ?? null]);
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown>)?.[Symbol.asyncIterator] === 'function';
}

/**
 * One event object per key among recent ones, for as long as it is built from the same `basis` (e.g. the
 * same read-model document): what a subscription hands every subscriber when nothing resolved under it
 * depends on who they are, so that they share its execution (see subscribeSharingExecution).
 */
export function sharedEvents<K, E extends object>(capacity = 64) {
  const recent = new Map<K, { basis: unknown; event: E }>();
  return (key: K, basis: unknown, build: () => E): E => {
    const cached = recent.get(key);
    if (cached && cached.basis === basis) return cached.event;
    const event = build();
    recent.delete(key);
    recent.set(key, { basis, event });
    if (recent.size > capacity) recent.delete(recent.keys().next().value as K);
    return event;
  };
}
