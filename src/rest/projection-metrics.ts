import { Counter, type Registry } from 'prom-client';
import type { ReadStore } from '../infra/readstore/port.js';
import { storedFailures } from '../projections/shared/projection-failure.js';
import { CHECKPOINTS, PROJECTIONS_CHECKPOINT } from '../projections/shared/runner.js';

/**
 * `chronicle_projection_failures_total{projection}`: failed attempts to apply an event, read from the
 * read store where the projector counts them, so any process serving /metrics reports them.
 */
export function projectionFailureMetric(db: ReadStore, registry: Registry): void {
  new Counter({
    name: 'chronicle_projection_failures_total',
    help: 'Failed attempts of a projection to apply an event (the read side retries, stuck on that event)',
    labelNames: ['projection'],
    registers: [registry],
    async collect() {
      const { counts } = await storedFailures(db.collection(CHECKPOINTS), PROJECTIONS_CHECKPOINT).catch(() => ({
        counts: {},
      }));
      this.reset();
      for (const [projection, n] of Object.entries(counts)) this.inc({ projection }, n);
    },
  });
}
