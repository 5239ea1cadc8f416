/**
 * Read-your-writes waits: each answers true once the read models pass its position, or false when its
 * own timeout runs out first, whatever the other waits' timeouts.
 */
import { NotYetReadableError, ProjectionProgress } from '../../src/projections/shared/progress.js';

/** Records the order in which waits answer. */
function recorder() {
  const answers: string[] = [];
  const track = (name: string, wait: Promise<boolean>) => wait.then((caughtUp) => answers.push(`${name} ${caughtUp}`));
  return { answers, track };
}

describe('ProjectionProgress waits', () => {
  it('given a long wait and then a short one, when neither is reached, then the short one times out first', async () => {
    const progress = new ProjectionProgress();
    const { answers, track } = recorder();
    const long = track('long', progress.waitFor(5, 400));
    const short = track('short', progress.waitFor(5, 20));
    await short;
    expect(answers).toEqual(['short false']);
    progress.advance(5);
    await long;
    expect(answers).toEqual(['short false', 'long true']);
  });

  it('given waits at several positions, when the read models pass some, then those answer true and the rest time out', async () => {
    const progress = new ProjectionProgress();
    const { answers, track } = recorder();
    const waits = [track('p3', progress.waitFor(3, 50)), track('p9', progress.waitFor(9, 50))];
    progress.advance(4);
    await Promise.all(waits);
    expect(answers).toEqual(['p3 true', 'p9 false']);
  });

  it('given a wait after an earlier one timed out, then it still gets its own timeout', async () => {
    const progress = new ProjectionProgress();
    expect(await progress.waitFor(2, 10)).toBe(false);
    const { answers, track } = recorder();
    const later = track('later', progress.waitFor(2, 10));
    await later;
    expect(answers).toEqual(['later false']);
    expect(await progress.waitFor(0)).toBe(true);
  });

  it('given the read models never get there, when a command settles, then it is NotYetReadableError', async () => {
    const progress = new ProjectionProgress(15);
    await expect(progress.settle(1)).rejects.toBeInstanceOf(NotYetReadableError);
    progress.advance(1);
    await expect(progress.settle(1)).resolves.toBeUndefined();
  });
});
