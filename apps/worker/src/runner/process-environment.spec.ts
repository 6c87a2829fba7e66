import type { ExecutionDispatchV1 } from '@attune/contracts';
import { buildEnvironment, envValue } from './process-environment';

const dispatch = (parameters: Record<string, unknown>, secret: string[] = [], env_vars: Record<string, string> = {}): ExecutionDispatchV1 => ({
  execution_id: 7,
  action: { ref: 'p.a', pack_ref: 'p', runtime: 'shell', entrypoint: 'true', inline: true, output_format: 'text', secret_parameters: secret },
  parameters,
  env_vars,
  timeout_seconds: 10,
  token: 'tok',
});
const ctx = { apiUrl: 'http://api', workDir: '/w', artifactsDir: '/w/artifacts', parameterFile: '/w/p.json', inherited: { PATH: '/bin', SECRET_OF_WORKER: 'x' } };

describe('buildEnvironment', () => {
  it('exports parameters as PARAM_<NAME> and <name>', () => {
    const env = buildEnvironment(dispatch({ message: 'hi', count: 3, tags: ['a'] }), ctx);
    expect(env).toMatchObject({ PARAM_MESSAGE: 'hi', message: 'hi', PARAM_COUNT: '3', count: '3', PARAM_TAGS: '["a"]' });
  });

  it('keeps secrets out of the environment', () => {
    const env = buildEnvironment(dispatch({ password: 'p' }, ['password']), ctx);
    expect(env.PARAM_PASSWORD).toBeUndefined();
    expect(env.password).toBeUndefined();
  });

  it('never lets a parameter replace PATH or the platform variables', () => {
    const env = buildEnvironment(dispatch({ PATH: '/evil', ATTUNE_API_TOKEN: 'forged', 'bad-name': 'x' }), ctx);
    expect(env.PATH).toBe('/bin');
    expect(env.PARAM_PATH).toBe('/evil');
    expect(env.ATTUNE_API_TOKEN).toBe('tok');
    expect(Object.keys(env).some((k) => k.includes('bad-name'))).toBe(false);
  });

  it('passes the platform variables and nothing else of the worker', () => {
    const env = buildEnvironment(dispatch({}, [], { GREETING: 'hey' }), ctx);
    expect(env).toMatchObject({
      ATTUNE_API_URL: 'http://api',
      ATTUNE_EXEC_ID: '7',
      ATTUNE_ACTION: 'p.a',
      ATTUNE_API_TOKEN: 'tok',
      ATTUNE_ARTIFACTS_DIR: '/w/artifacts',
      ATTUNE_PARAMETER_FILE: '/w/p.json',
      GREETING: 'hey',
      HOME: '/w',
    });
    expect(env.SECRET_OF_WORKER).toBeUndefined();
  });

  it('drops env_vars that change how the process starts, even when the dispatch carries them', () => {
    const injected = {
      NODE_OPTIONS: '--require /tmp/x.js', BASH_ENV: '/tmp/x', ENV: '/tmp/x', LD_AUDIT: '/tmp/x.so', LD_PRELOAD: '/tmp/x.so',
      GCONV_PATH: '/tmp', PYTHONSTARTUP: '/tmp/x.py', PERL5OPT: '-Mx', RUBYOPT: '-rx', HTTPS_PROXY: 'http://evil', http_proxy: 'http://evil',
      IFS: '/', SHELLOPTS: 'xtrace', GLIBC_TUNABLES: 'x', ATTUNE_API_URL: 'http://evil', PATH: '/tmp', OK_NAME: 'kept',
    };
    const env = buildEnvironment(dispatch({}, [], injected), ctx);
    expect(env.OK_NAME).toBe('kept');
    for (const name of Object.keys(injected).filter((n) => n !== 'OK_NAME' && n !== 'ATTUNE_API_URL' && n !== 'PATH')) expect(env[name]).toBeUndefined();
    expect(env.ATTUNE_API_URL).toBe('http://api');
    expect(env.PATH).toBe('/bin');
  });

  it('exports a parameter whose name is an interpreter variable only as PARAM_<NAME>', () => {
    const env = buildEnvironment(dispatch({ node_options: '--require x', http_proxy: 'http://evil', bash_env: '/x', greeting: 'hi' }), ctx);
    expect(env).toMatchObject({ PARAM_NODE_OPTIONS: '--require x', PARAM_HTTP_PROXY: 'http://evil', PARAM_BASH_ENV: '/x', greeting: 'hi' });
    expect(env.node_options).toBeUndefined();
    expect(env.http_proxy).toBeUndefined();
    expect(env.bash_env).toBeUndefined();
  });

  it('renders values as text', () => {
    expect(envValue(null)).toBe('');
    expect(envValue(true)).toBe('true');
    expect(envValue({ a: 1 })).toBe('{"a":1}');
  });
});
