import type { FailedJob, FailedListener } from './port.js';

/** Tells every listener of a job out of attempts; a listener that throws is reported, not allowed to stop the rest. */
export function notifyFailed(
  listeners: Iterable<FailedListener>,
  failure: FailedJob,
  onError: (err: unknown, name: string) => void,
): void {
  for (const listener of [...listeners]) {
    try {
      listener(failure);
    } catch (err) {
      onError(err, failure.name);
    }
  }
}
