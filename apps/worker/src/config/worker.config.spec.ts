import { cidrProblems, WorkerConfig } from './worker.config';

describe('ATTUNE_HTTP_REQUEST_DENY', () => {
  it('accepts CIDR lists and none', () => {
    expect(cidrProblems('169.254.0.0/16, fe80::/10,100.100.100.200/32')).toEqual([]);
    expect(cidrProblems('none')).toEqual([]);
  });

  it('names each range that is not one', () => {
    expect(cidrProblems('10.0.0.0/8,10.0.0.0,fe80::/129,example.com/8')).toEqual([
      '"10.0.0.0" is not an address range like 169.254.0.0/16 or fe80::/10',
      '"fe80::/129" is not an address range like 169.254.0.0/16 or fe80::/10',
      '"example.com/8" is not an address range like 169.254.0.0/16 or fe80::/10',
    ]);
  });

  it('denies link-local and metadata addresses by default, and a bad list stops the worker', () => {
    const env = { ATTUNE_ENV: 'test' };
    expect(WorkerConfig.fromEnv(env).httpRequestDeny).toBe('169.254.0.0/16,fe80::/10,fd00:ec2::254/128,100.100.100.200/32');
    expect(() => WorkerConfig.fromEnv({ ...env, ATTUNE_HTTP_REQUEST_DENY: '169.254.0.0' })).toThrow(/ATTUNE_HTTP_REQUEST_DENY: "169.254.0.0" is not an address range/);
  });

  it('reads the pip and npm options for pack environments', () => {
    const c = WorkerConfig.fromEnv({ ATTUNE_ENV: 'test', ATTUNE_PIP_NO_INDEX: 'true', ATTUNE_PIP_FIND_LINKS: '/srv/wheels', ATTUNE_NPM_REGISTRY: 'http://127.0.0.1:4873' });
    expect(c).toMatchObject({ pipNoIndex: true, pipFindLinks: '/srv/wheels', npmRegistry: 'http://127.0.0.1:4873', packEnvTimeoutMs: 600_000 });
  });
});
