import { PeriodicJob, PeriodicJobList } from './periodic-job';

/** A job whose passes each wait to be released, and fail while `fail` is set. */
function countingJob(everyMs = 10) {
  const state = { runs: 0, fail: false, warnings: [] as string[], release: undefined as (() => void) | undefined };
  const logger = { warn: (_: unknown, msg: string) => state.warnings.push(msg) } as never;
  const run = async () => {
    state.runs++;
    await new Promise<void>((r) => (state.release = r));
    if (state.fail) throw new Error('boom');
  };
  return { state, job: new PeriodicJob({ name: 'test sweep', everyMs, logger, run }) };
}

describe('PeriodicJob', () => {
  it('never runs two passes at once', async () => {
    const { state, job } = countingJob();
    const a = job.runOnce();
    const b = job.runOnce();
    expect(a).toBe(b);
    state.release!();
    await a;
    expect(state.runs).toBe(1);
  });

  it('logs a failed pass under its name and keeps going', async () => {
    const { state, job } = countingJob();
    state.fail = true;
    const run = job.runOnce();
    state.release!();
    await run;
    expect(state.warnings).toEqual(['test sweep failed; will try again']);
    state.fail = false;
    const again = job.runOnce();
    state.release!();
    await again;
    expect(state.runs).toBe(2);
  });

  it('runs on its interval after bootstrap and waits for a pass in progress at shutdown', async () => {
    const { state, job } = countingJob();
    job.onApplicationBootstrap();
    await new Promise((r) => setTimeout(r, 50));
    expect(state.runs).toBe(1); // the first pass is still waiting to be released: no second one
    const shutdown = job.onApplicationShutdown();
    let done = false;
    void shutdown.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    state.release!();
    await shutdown;
    expect(done).toBe(true);
  });
});

describe('PeriodicJobList', () => {
  class TwoJobs extends PeriodicJobList {
    constructor(logger: never, runs: Array<() => Promise<unknown>>) {
      super(logger, runs.map((run, i) => ({ name: `job ${i}`, everyMs: 10 + 5 * i, run })));
    }
  }

  it('starts every job with the app, logs under each job\'s name, and waits for all of them at shutdown', async () => {
    const warnings: string[] = [];
    const logger = { warn: (_: unknown, msg: string) => warnings.push(msg) } as never;
    const releases: Array<() => void> = [];
    const counts = [0, 0];
    const waiting = (i: number) => async () => {
      counts[i]++;
      await new Promise<void>((r) => releases.push(r));
      throw new Error('boom');
    };
    const jobs = new TwoJobs(logger, [waiting(0), waiting(1)]);
    jobs.onApplicationBootstrap();
    await new Promise((r) => setTimeout(r, 50));
    expect(counts).toEqual([1, 1]);
    const shutdown = jobs.onApplicationShutdown();
    let done = false;
    void shutdown.then(() => (done = true));
    releases[0]();
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    releases[1]();
    await shutdown;
    expect(done).toBe(true);
    expect(warnings.sort()).toEqual(['job 0 failed; will try again', 'job 1 failed; will try again']);
  });
});
