import { WebhookRateLimiter } from './webhook-rate-limiter';

describe('WebhookRateLimiter', () => {
  it('allows a burst, then one call per 1/rate seconds, per key', () => {
    let t = 0;
    const limiter = new WebhookRateLimiter(2, 3, 100, () => t);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(1);
    expect(limiter.take('b')).toBe(0);
    t += 500;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBeGreaterThanOrEqual(1);
  });

  it('is off at rate 0, and keeps at most maxKeys buckets', () => {
    expect(new WebhookRateLimiter(0, 1).take('a')).toBe(0);
    const limiter = new WebhookRateLimiter(1, 1, 2, () => 0);
    limiter.take('a');
    limiter.take('b');
    limiter.take('c');
    expect((limiter as unknown as { buckets: Map<string, unknown> }).buckets.size).toBeLessThanOrEqual(2);
  });
});
