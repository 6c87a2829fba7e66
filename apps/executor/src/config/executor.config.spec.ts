import { ConfigError, DEVELOPMENT_SECRETS_KEY } from '@attune/service-kit';
import { ExecutorConfig } from './executor.config';

const JWT = 'a production jwt secret of some length';

describe('ExecutorConfig secrets key', () => {
  it('defaults to the development key outside production', () => {
    expect(ExecutorConfig.fromEnv({ ATTUNE_ENV: 'test' }).secretsKey).toBe(DEVELOPMENT_SECRETS_KEY);
  });

  it('is required in production, differs from the JWT secret, and has at least 32 characters', () => {
    const problems = (env: NodeJS.ProcessEnv) => {
      try {
        ExecutorConfig.fromEnv({ ATTUNE_ENV: 'production', ATTUNE_JWT_SECRET: JWT, ...env });
        return [];
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).problems;
      }
    };
    expect(problems({})).toEqual([expect.stringContaining('ATTUNE_SECRETS_KEY must be set in production')]);
    expect(problems({ ATTUNE_SECRETS_KEY: JWT })).toEqual([expect.stringContaining('must differ from ATTUNE_JWT_SECRET')]);
    expect(problems({ ATTUNE_SECRETS_KEY: 'short' })).toEqual([expect.stringContaining('secretsKey')]);
    expect(problems({ ATTUNE_SECRETS_KEY: 'k'.repeat(64) })).toEqual([]);
  });
});
