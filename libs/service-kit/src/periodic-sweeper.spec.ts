import { PeriodicSweeper } from './periodic-sweeper';

class CountingSweeper extends PeriodicSweeper {
  protected readonly sweepName = 'test sweep';
  readonly warnings: string[] = [];
  protected readonly logger = { warn: (_: unknown, msg: string) => this.warnings.push(msg) } as never;
  runs = 0;
  fail = false;
  release?: () => void;

  protected intervalMs(): number {
    return 10;
  }

  async sweep(): Promise<void> {
    this.runs++;
    await new Promise<void>((r) => (this.release = r));
    if (this.fail) throw new Error('boom');
  }
}

describe('PeriodicSweeper', () => {
  it('never runs two passes at once', async () => {
    const s = new CountingSweeper();
    const a = s.runOnce();
    const b = s.runOnce();
    expect(a).toBe(b);
    s.release!();
    await a;
    expect(s.runs).toBe(1);
  });

  it('logs a failed pass and keeps going', async () => {
    const s = new CountingSweeper();
    s.fail = true;
    const run = s.runOnce();
    s.release!();
    await run;
    expect(s.warnings).toEqual(['test sweep failed; will try again']);
    s.fail = false;
    const again = s.runOnce();
    s.release!();
    await again;
    expect(s.runs).toBe(2);
  });

  it('runs on its interval after bootstrap and waits for a pass in progress at shutdown', async () => {
    const s = new CountingSweeper();
    s.onApplicationBootstrap();
    await new Promise((r) => setTimeout(r, 50));
    expect(s.runs).toBe(1); // the first pass is still waiting to be released: no second one
    const shutdown = s.onApplicationShutdown();
    let done = false;
    void shutdown.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    s.release!();
    await shutdown;
    expect(done).toBe(true);
  });
});
