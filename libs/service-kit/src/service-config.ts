import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { ConfigError, ENVIRONMENTS, type Environment, envSettings, validateConfig } from './config';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Settings every service shares: environment, logging, its HTTP listener (health, metrics and,
 * for the api, everything) and the bus. Each app's config class extends it and adds its own.
 */
export abstract class ServiceConfig {
  /**
   * Always chosen explicitly when read from the environment (serviceEnv refuses to go on without
   * ATTUNE_ENV or NODE_ENV); this default only serves configs built in code by tests.
   */
  @IsIn(ENVIRONMENTS) environment: Environment = 'development';
  abstract port: number;
  @IsString() host = '0.0.0.0';
  @IsIn(LOG_LEVELS) logLevel = 'info';
  @Matches(/^amqps?:\/\//, { message: 'amqpUrl must be an amqp:// URL' }) amqpUrl = 'amqp://guest:guest@127.0.0.1:5672';
  @Matches(/^[a-z][a-z0-9_-]*$/, { message: 'amqpNamespace must be lowercase letters, digits, - or _' }) amqpNamespace = 'attune';
}

/** A service with a database connection (every service but the worker). */
export abstract class DatabaseServiceConfig extends ServiceConfig {
  @Matches(/^postgres(ql)?:\/\//, { message: 'databaseUrl must be a postgres:// URL' }) databaseUrl =
    'postgres://postgres@127.0.0.1:5432/attune';
  @IsInt() @Min(1) @Max(200) databasePoolSize = 10;
  /** How long taking a database connection is retried while Postgres cannot be reached (a restart). */
  @IsInt() @Min(0) @Max(60000) databaseConnectRetryMs = 3000;
}

/**
 * The environment variables behind ServiceConfig (and DatabaseServiceConfig): `service` names
 * the port and host variables, e.g. `API` for ATTUNE_API_PORT and ATTUNE_API_HOST.
 */
export function serviceEnv(env: NodeJS.ProcessEnv, service: string): Record<string, string | undefined> {
  return {
    environment: chosenEnvironment(env),
    port: env[`ATTUNE_${service}_PORT`],
    host: env[`ATTUNE_${service}_HOST`],
    logLevel: env.ATTUNE_LOG_LEVEL,
    amqpUrl: env.ATTUNE_AMQP_URL,
    amqpNamespace: env.ATTUNE_AMQP_NAMESPACE,
    databaseUrl: env.ATTUNE_DATABASE_URL,
    databasePoolSize: env.ATTUNE_DATABASE_POOL_SIZE,
    databaseConnectRetryMs: env.ATTUNE_DATABASE_CONNECT_RETRY_MS,
  };
}

/**
 * A service's validated config from the environment: ServiceConfig's variables (serviceEnv, with
 * `service` naming the port and host ones) and the class's own @Env settings.
 */
export function serviceConfigFromEnv<C extends ServiceConfig>(cls: new () => C, env: NodeJS.ProcessEnv, service: string): C {
  return validateConfig(cls, { ...serviceEnv(env, service), ...envSettings(cls, env) });
}

/** What a service says when no environment is chosen. */
export const ENVIRONMENT_NOT_CHOSEN =
  'ATTUNE_ENV is not set: set ATTUNE_ENV=production for a deployment, or ATTUNE_ENV=development to run with the ' +
  'development defaults (a public JWT secret, the administrator test@attune.local / TestPass123!, open registration). ' +
  '`npm start` chooses development for you';

/**
 * ATTUNE_ENV, else NODE_ENV. Neither set is refused: the development defaults (a public signing
 * secret, a known administrator password, open registration) must never apply by omission.
 */
export function chosenEnvironment(env: NodeJS.ProcessEnv): string {
  const chosen = env.ATTUNE_ENV || env.NODE_ENV;
  if (!chosen) throw new ConfigError([ENVIRONMENT_NOT_CHOSEN]);
  return chosen;
}
