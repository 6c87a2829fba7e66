import { envVarProblems, protectedEnvNameReason } from './environment-names';

describe('environment variable names', () => {
  it('refuses names that change how a process starts, in any case', () => {
    for (const n of ['NODE_OPTIONS', 'BASH_ENV', 'ENV', 'LD_AUDIT', 'LD_PRELOAD', 'GCONV_PATH', 'PYTHONSTARTUP', 'PYTHONPATH', 'PERL5OPT',
      'RUBYOPT', 'HTTPS_PROXY', 'http_proxy', 'NO_PROXY', 'IFS', 'SHELLOPTS', 'GLIBC_TUNABLES', 'ATTUNE_X', 'PARAM_X', 'PATH', 'HOME',
      'DYLD_INSERT_LIBRARIES', 'JAVA_TOOL_OPTIONS', 'OPENSSL_CONF', 'GIT_SSH_COMMAND']) {
      expect([n, protectedEnvNameReason(n) !== undefined]).toEqual([n, true]);
    }
    for (const n of ['GREETING', 'NODE_ENV', 'LOG_LEVEL', 'message']) expect([n, protectedEnvNameReason(n)]).toEqual([n, undefined]);
  });

  it('answers one 422 detail per refused name or value', () => {
    expect(envVarProblems({ GREETING: 'hi', lower: 'x', NODE_OPTIONS: 'x', N: 1, Z: 'a\0b' })).toEqual([
      { field: 'env_vars.lower', message: expect.stringContaining('not a valid environment variable name') },
      { field: 'env_vars.NODE_OPTIONS', message: expect.stringContaining('may not be set') },
      { field: 'env_vars.N', message: 'must be a string' },
      { field: 'env_vars.Z', message: 'may not contain a NUL character' },
    ]);
  });
});
