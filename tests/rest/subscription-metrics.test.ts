import { createMetrics } from '../../src/rest/metrics.js';

describe('event store subscription metrics', () => {
  it("exposes the adapter's retried and failed subscription errors as one counter by outcome", async () => {
    let errors = { retried: 3, failed: 1 };
    const { registry } = createMetrics(() => errors);
    let text = await registry.metrics();
    expect(text).toContain('chronicle_event_store_subscription_errors_total{outcome="retried"} 3');
    expect(text).toContain('chronicle_event_store_subscription_errors_total{outcome="failed"} 1');
    errors = { retried: 5, failed: 1 };
    text = await registry.metrics();
    expect(text).toContain('chronicle_event_store_subscription_errors_total{outcome="retried"} 5');
  });

  it('has no such counter for a store that does not count them', async () => {
    expect(await createMetrics().registry.metrics()).not.toContain('chronicle_event_store_subscription_errors_total');
  });
});
