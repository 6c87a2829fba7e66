import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { ENVIRONMENTS, type Environment } from './config';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Settings every service shares: environment, logging, its HTTP listener (health, metrics and,
 * for the api, everything) and the bus. Each app's config class extends it and adds its own.
 */
export abstract class ServiceConfig {
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
}

/**
 * The environment variables behind ServiceConfig (and DatabaseServiceConfig): `service` names
 * the port and host variables, e.g. `API` for ATTUNE_API_PORT and ATTUNE_API_HOST.
 */
export function serviceEnv(env: NodeJS.ProcessEnv, service: string): Record<string, string | undefined> {
  return {
    environment: env.ATTUNE_ENV ?? env.NODE_ENV,
    port: env[`ATTUNE_${service}_PORT`],
    host: env[`ATTUNE_${service}_HOST`],
    logLevel: env.ATTUNE_LOG_LEVEL,
    amqpUrl: env.ATTUNE_AMQP_URL,
    amqpNamespace: env.ATTUNE_AMQP_NAMESPACE,
    databaseUrl: env.ATTUNE_DATABASE_URL,
    databasePoolSize: env.ATTUNE_DATABASE_POOL_SIZE,
  };
}
