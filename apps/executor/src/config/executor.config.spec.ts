import { ConfigError, DEVELOPMENT_SECRETS_KEY } from '@attune/service-kit';
import { ExecutorConfig, retentionMs } from './executor.config';

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

describe('ExecutorConfig retention', () => {
  it('keeps runs 90 days and timer ticks a day by default; off turns a kind off', () => {
    const config = ExecutorConfig.fromEnv({ ATTUNE_ENV: 'test', ATTUNE_RETENTION_EVENTS: 'off', ATTUNE_RETENTION_EXECUTIONS: '2w' });
    expect(retentionMs(config.retentionExecutions)).toBe(14 * 86_400_000);
    expect(retentionMs(config.retentionEnforcements)).toBe(90 * 86_400_000);
    expect(retentionMs(config.retentionEvents)).toBeNull();
    expect(retentionMs(config.retentionTimerTicks)).toBe(86_400_000);
  });

  it('refuses an age it cannot read', () => {
    expect(() => ExecutorConfig.fromEnv({ ATTUNE_ENV: 'test', ATTUNE_RETENTION_EXECUTIONS: '90 days' })).toThrow(ConfigError);
    expect(() => ExecutorConfig.fromEnv({ ATTUNE_ENV: 'test', ATTUNE_RETENTION_BATCH_SIZE: '0' })).toThrow(ConfigError);
  });
});
