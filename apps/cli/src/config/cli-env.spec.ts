import { cliEnvFrom } from './cli-env';

describe('cliEnvFrom', () => {
  it('takes ATTUNE_URL/ATTUNE_TOKEN first, else the ATTUNE_API_URL/ATTUNE_API_TOKEN an action gets, and its ATTUNE_EXEC_ID', () => {
    expect(cliEnvFrom({ ATTUNE_API_URL: 'http://a', ATTUNE_API_TOKEN: 't', ATTUNE_EXEC_ID: '42', HOME: '/h' })).toMatchObject({
      url: 'http://a',
      token: 't',
      tokenSource: 'ATTUNE_API_TOKEN',
      executionId: 42,
    });
    expect(cliEnvFrom({ ATTUNE_URL: 'http://k', ATTUNE_TOKEN: 'key', ATTUNE_API_URL: 'http://a', ATTUNE_API_TOKEN: 't' })).toMatchObject({
      url: 'http://k',
      token: 'key',
      tokenSource: 'ATTUNE_TOKEN',
    });
    expect(cliEnvFrom({ ATTUNE_API_URL: 'http://a' }).token).toBeUndefined();
    expect(cliEnvFrom({ ATTUNE_EXEC_ID: 'x' }).executionId).toBeUndefined();
  });
});
