import { ConfigError, DEVELOPMENT_JWT_SECRET, ENVIRONMENTS, type Environment, validateConfig } from '@attune/service-kit';
import { IsIn, IsInt, IsString, Matches, Max, Min, MinLength } from 'class-validator';

/** The executor's settings. This is the only place in the app that reads process.env. */
export class ExecutorConfig {
  @IsIn(ENVIRONMENTS) environment: Environment = 'development';
  @IsInt() @Min(1) @Max(65535) port = 8081;
  @IsString() host = '0.0.0.0';
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) logLevel = 'info';
  @Matches(/^postgres(ql)?:\/\//, { message: 'databaseUrl must be a postgres:// URL' }) databaseUrl =
    'postgres://postgres@127.0.0.1:5432/attune';
  @IsInt() @Min(1) @Max(200) databasePoolSize = 10;
  @Matches(/^amqps?:\/\//, { message: 'amqpUrl must be an amqp:// URL' }) amqpUrl = 'amqp://guest:guest@127.0.0.1:5672';
  @Matches(/^[a-z][a-z0-9_-]*$/, { message: 'amqpNamespace must be lowercase letters, digits, - or _' }) amqpNamespace = 'attune';
  /** Must equal the api's: execution tokens signed here are verified there. */
  @IsString() @MinLength(16) jwtSecret = DEVELOPMENT_JWT_SECRET;
  /** Messages handled at once by this executor. */
  @IsInt() @Min(1) @Max(1000) prefetch = 64;
  /** The worker pool executions are dispatched to. */
  @Matches(/^[a-z0-9][a-z0-9_-]*$/) workerPool = 'default';
  /** How often stuck executions are looked for. */
  @IsInt() @Min(100) sweepIntervalMs = 5000;
  /** An execution still `requested` (or `scheduling`) this long after its last change is scheduled again. */
  @IsInt() @Min(100) staleAfterMs = 10000;
  /** A worker silent this long is lost; its running executions follow their action's worker-loss policy. */
  @IsInt() @Min(1000) workerLostAfterMs = 15000;
  /** Dispatches of one execution at most, counting the first, under the `retry` worker-loss policy. */
  @IsInt() @Min(1) @Max(20) maxDispatchAttempts = 3;
  /** Timeout of executions created by rules when their action sets none (the api's ATTUNE_DEFAULT_TIMEOUT_SECONDS). */
  @IsInt() @Min(1) @Max(7 * 24 * 3600) defaultTimeoutSeconds = 600;
  /** How often timer rules are read and due ticks fired; also how late a tick can be. */
  @IsInt() @Min(50) @Max(60000) timerPollMs = 250;

  static fromEnv(env: NodeJS.ProcessEnv = process.env): ExecutorConfig {
    const config = validateConfig(ExecutorConfig, {
      environment: env.ATTUNE_ENV ?? env.NODE_ENV,
      port: env.ATTUNE_EXECUTOR_PORT,
      host: env.ATTUNE_EXECUTOR_HOST,
      logLevel: env.ATTUNE_LOG_LEVEL,
      databaseUrl: env.ATTUNE_DATABASE_URL,
      databasePoolSize: env.ATTUNE_DATABASE_POOL_SIZE,
      amqpUrl: env.ATTUNE_AMQP_URL,
      amqpNamespace: env.ATTUNE_AMQP_NAMESPACE,
      jwtSecret: env.ATTUNE_JWT_SECRET,
      prefetch: env.ATTUNE_EXECUTOR_PREFETCH,
      workerPool: env.ATTUNE_WORKER_POOL,
      sweepIntervalMs: env.ATTUNE_EXECUTOR_SWEEP_INTERVAL_MS,
      staleAfterMs: env.ATTUNE_EXECUTOR_STALE_AFTER_MS,
      workerLostAfterMs: env.ATTUNE_EXECUTOR_WORKER_LOST_AFTER_MS,
      maxDispatchAttempts: env.ATTUNE_MAX_DISPATCH_ATTEMPTS,
      defaultTimeoutSeconds: env.ATTUNE_DEFAULT_TIMEOUT_SECONDS,
      timerPollMs: env.ATTUNE_EXECUTOR_TIMER_POLL_MS,
    });
    if (config.environment === 'production' && config.jwtSecret === DEVELOPMENT_JWT_SECRET) {
      throw new ConfigError(['ATTUNE_JWT_SECRET must be set in production']);
    }
    return config;
  }
}
