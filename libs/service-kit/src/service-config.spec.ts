import { IsInt, Max, Min } from 'class-validator';
import { validateConfig } from './config';
import { DatabaseServiceConfig, ServiceConfig, serviceEnv } from './service-config';

class BusOnly extends ServiceConfig {
  @IsInt() @Min(0) @Max(65535) port = 9000;
}
class WithDatabase extends DatabaseServiceConfig {
  @IsInt() @Min(1) @Max(65535) port = 9001;
}

const env = {
  ATTUNE_ENV: 'production',
  ATTUNE_THING_PORT: '9100',
  ATTUNE_THING_HOST: '127.0.0.1',
  ATTUNE_AMQP_NAMESPACE: 'prod',
  ATTUNE_DATABASE_URL: 'postgres://db/attune',
  ATTUNE_DATABASE_POOL_SIZE: '4',
};

describe('shared service settings', () => {
  it('reads the port and host of the named service and the common variables', () => {
    expect(validateConfig(WithDatabase, serviceEnv(env, 'THING'))).toMatchObject({
      environment: 'production',
      port: 9100,
      host: '127.0.0.1',
      amqpNamespace: 'prod',
      databaseUrl: 'postgres://db/attune',
      databasePoolSize: 4,
      logLevel: 'info',
    });
  });

  it('leaves database settings out of a service without a database', () => {
    const config = validateConfig(BusOnly, serviceEnv(env, 'THING')) as BusOnly & Record<string, unknown>;
    expect(config.port).toBe(9100);
    expect(config.databaseUrl).toBeUndefined();
  });

  it('refuses a bad shared value by name', () => {
    expect(() => validateConfig(BusOnly, serviceEnv({ ATTUNE_ENV: 'test', ATTUNE_AMQP_URL: 'http://x' }, 'THING'))).toThrow('amqpUrl must be an amqp:// URL');
  });

  it('refuses to go on when no environment is chosen, and takes NODE_ENV when ATTUNE_ENV is unset', () => {
    expect(() => serviceEnv({}, 'THING')).toThrow('ATTUNE_ENV is not set');
    expect(() => serviceEnv({ ATTUNE_ENV: '', NODE_ENV: '' }, 'THING')).toThrow('ATTUNE_ENV is not set');
    expect(validateConfig(BusOnly, serviceEnv({ NODE_ENV: 'development' }, 'THING')).environment).toBe('development');
    expect(validateConfig(BusOnly, serviceEnv({ ATTUNE_ENV: 'production', NODE_ENV: 'development' }, 'THING')).environment).toBe('production');
  });
});
