import { detectRuntimes } from './runtime-probe';

const base = { python: 'python3', node: process.execPath };

describe('detectRuntimes', () => {
  it('finds shell and node here, and python when python3 runs', async () => {
    const found = await detectRuntimes(base);
    expect(found).toEqual(expect.arrayContaining(['shell', 'node']));
  });

  it('leaves out a runtime whose interpreter does not run', async () => {
    expect(await detectRuntimes({ ...base, python: '/nonexistent/python3' })).not.toContain('python');
  });

  it('offers only the listed runtimes, and refuses to start when a listed one does not run', async () => {
    expect(await detectRuntimes({ ...base, runtimesWanted: ['shell'] })).toEqual(['shell']);
    await expect(detectRuntimes({ ...base, python: '/nonexistent/python3', runtimesWanted: ['shell', 'python'] })).rejects.toThrow(
      'runtime python is listed in ATTUNE_WORKER_RUNTIMES but /nonexistent/python3 does not run',
    );
  });
});
