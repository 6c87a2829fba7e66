import {
  ConfigError,
  DEVELOPMENT_JWT_SECRET,
  DEVELOPMENT_SECRETS_KEY,
  productionSecretsKeyProblem,
  validateConfig,
  DatabaseServiceConfig,
  serviceEnv,
} from '@attune/service-kit';
import { IsInt, IsString, Matches, Max, Min, MinLength } from 'class-validator';

/** The executor's settings. This is the only place in the app that reads process.env. */
export class ExecutorConfig extends DatabaseServiceConfig {
  @IsInt() @Min(1) @Max(65535) port = 8081;
  /** Must equal the api's: execution tokens signed here are verified there. */
  @IsString() @MinLength(16) jwtSecret = DEVELOPMENT_JWT_SECRET;
  /** Must equal the api's: secret parameters sealed there are opened here for the dispatch. */
  @IsString() @MinLength(32) secretsKey = DEVELOPMENT_SECRETS_KEY;
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
      ...serviceEnv(env, 'EXECUTOR'),
      jwtSecret: env.ATTUNE_JWT_SECRET,
      secretsKey: env.ATTUNE_SECRETS_KEY,
      prefetch: env.ATTUNE_EXECUTOR_PREFETCH,
      workerPool: env.ATTUNE_WORKER_POOL,
      sweepIntervalMs: env.ATTUNE_EXECUTOR_SWEEP_INTERVAL_MS,
      staleAfterMs: env.ATTUNE_EXECUTOR_STALE_AFTER_MS,
      workerLostAfterMs: env.ATTUNE_EXECUTOR_WORKER_LOST_AFTER_MS,
      maxDispatchAttempts: env.ATTUNE_MAX_DISPATCH_ATTEMPTS,
      defaultTimeoutSeconds: env.ATTUNE_DEFAULT_TIMEOUT_SECONDS,
      timerPollMs: env.ATTUNE_EXECUTOR_TIMER_POLL_MS,
    });
    if (config.environment === 'production') {
      const problems: string[] = [];
      if (config.jwtSecret === DEVELOPMENT_JWT_SECRET) problems.push('ATTUNE_JWT_SECRET must be set in production');
      const secretsKeyProblem = productionSecretsKeyProblem(config.secretsKey, config.jwtSecret);
      if (secretsKeyProblem) problems.push(secretsKeyProblem);
      if (problems.length) throw new ConfigError(problems);
    }
    return config;
  }
}
