import {
  ConfigError,
  DEVELOPMENT_JWT_SECRET,
  DEVELOPMENT_SECRETS_KEY,
  productionSecretsKeyProblem,
  DatabaseServiceConfig,
  Env,
  serviceConfigFromEnv,
} from '@attune/service-kit';
import { parseDuration, RETENTION_MAX_BATCH } from '@attune/contracts';
import { IsInt, IsString, Matches, Max, Min, MinLength } from 'class-validator';

const RETENTION_AGE = /^(off|[1-9][0-9]{0,8}[smhdw])$/;
const RETENTION_AGE_MESSAGE = 'retention ages look like 90d, 12h, 30m, 2w or off';

/** Milliseconds of a retention age such as `90d`; null for `off`. */
export function retentionMs(age: string): number | null {
  return age === 'off' ? null : (parseDuration(age) ?? null);
}

/** The executor's settings. This is the only place in the app that reads process.env. */
export class ExecutorConfig extends DatabaseServiceConfig {
  @IsInt() @Min(1) @Max(65535) port = 8081;
  /** Must equal the api's: execution tokens signed here are verified there. */
  @Env('ATTUNE_JWT_SECRET') @IsString() @MinLength(16) jwtSecret = DEVELOPMENT_JWT_SECRET;
  /** Must equal the api's: secret parameters sealed there are opened here for the dispatch. */
  @Env('ATTUNE_SECRETS_KEY') @IsString() @MinLength(32) secretsKey = DEVELOPMENT_SECRETS_KEY;
  /** Messages handled at once by this executor. */
  @Env('ATTUNE_EXECUTOR_PREFETCH') @IsInt() @Min(1) @Max(1000) prefetch = 64;
  /** The worker pool executions are dispatched to. */
  @Env('ATTUNE_WORKER_POOL') @Matches(/^[a-z0-9][a-z0-9_-]*$/) workerPool = 'default';
  /** How often stuck executions are looked for. */
  @Env('ATTUNE_EXECUTOR_SWEEP_INTERVAL_MS') @IsInt() @Min(100) sweepIntervalMs = 5000;
  /** An execution still `requested` (or `scheduling`) this long after its last change is scheduled again. */
  @Env('ATTUNE_EXECUTOR_STALE_AFTER_MS') @IsInt() @Min(100) staleAfterMs = 10000;
  /** A worker silent this long is lost; its running executions follow their action's worker-loss policy. */
  @Env('ATTUNE_EXECUTOR_WORKER_LOST_AFTER_MS') @IsInt() @Min(1000) workerLostAfterMs = 15000;
  /** Dispatches of one execution at most, counting the first, under the `retry` worker-loss policy. */
  @Env('ATTUNE_MAX_DISPATCH_ATTEMPTS') @IsInt() @Min(1) @Max(20) maxDispatchAttempts = 3;
  /** Timeout of executions created by rules when their action sets none (the api's ATTUNE_DEFAULT_TIMEOUT_SECONDS). */
  @Env('ATTUNE_DEFAULT_TIMEOUT_SECONDS') @IsInt() @Min(1) @Max(7 * 24 * 3600) defaultTimeoutSeconds = 600;
  /** How often workflow runs are checked for timeouts, due retries and task ends no message brought. */
  @Env('ATTUNE_WORKFLOW_SWEEP_INTERVAL_MS') @IsInt() @Min(100) workflowSweepIntervalMs = 1000;
  /** How often timer rules are read and due ticks fired; also how late a tick can be. */
  @Env('ATTUNE_EXECUTOR_TIMER_POLL_MS') @IsInt() @Min(50) @Max(60000) timerPollMs = 250;
  /** How often inquiries past their timeout (or cancelled) are settled; also how late a timeout can be. */
  @Env('ATTUNE_EXECUTOR_INQUIRY_POLL_MS') @IsInt() @Min(50) @Max(60000) inquiryPollMs = 1000;
  /**
   * Run retention (apps/executor/src/retention): how old a terminal execution (with its logs), a
   * resolved enforcement, a processed event and a timer tick get before they are deleted; `off`
   * keeps them forever.
   */
  @Env('ATTUNE_RETENTION_EXECUTIONS') @Matches(RETENTION_AGE, { message: RETENTION_AGE_MESSAGE }) retentionExecutions = '90d';
  @Env('ATTUNE_RETENTION_ENFORCEMENTS') @Matches(RETENTION_AGE, { message: RETENTION_AGE_MESSAGE }) retentionEnforcements = '90d';
  @Env('ATTUNE_RETENTION_EVENTS') @Matches(RETENTION_AGE, { message: RETENTION_AGE_MESSAGE }) retentionEvents = '90d';
  @Env('ATTUNE_RETENTION_TIMER_TICKS') @Matches(RETENTION_AGE, { message: RETENTION_AGE_MESSAGE }) retentionTimerTicks = '1d';
  /** How often the retention sweep runs. */
  @Env('ATTUNE_RETENTION_INTERVAL_MS') @IsInt() @Min(1000) retentionIntervalMs = 300_000;
  /** Rows deleted per statement: each batch is one short transaction. */
  @Env('ATTUNE_RETENTION_BATCH_SIZE') @IsInt() @Min(1) @Max(RETENTION_MAX_BATCH) retentionBatchSize = 500;

  static fromEnv(env: NodeJS.ProcessEnv = process.env): ExecutorConfig {
    const config = serviceConfigFromEnv(ExecutorConfig, env, 'EXECUTOR');
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
