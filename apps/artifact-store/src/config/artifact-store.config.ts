import { ENVIRONMENTS, type Environment, validateConfig } from '@attune/service-kit';
import { StorageSettings } from '@attune/storage';
import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';

/** The artifact-store's settings. This is the only place in the app that reads process.env. */
export class ArtifactStoreConfig {
  @IsIn(ENVIRONMENTS) environment: Environment = 'development';
  @IsInt() @Min(1) @Max(65535) port = 8082;
  @IsString() host = '0.0.0.0';
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) logLevel = 'info';
  @Matches(/^postgres(ql)?:\/\//, { message: 'databaseUrl must be a postgres:// URL' }) databaseUrl =
    'postgres://postgres@127.0.0.1:5432/attune';
  @IsInt() @Min(1) @Max(200) databasePoolSize = 10;
  @Matches(/^amqps?:\/\//, { message: 'amqpUrl must be an amqp:// URL' }) amqpUrl = 'amqp://guest:guest@127.0.0.1:5672';
  @Matches(/^[a-z][a-z0-9_-]*$/, { message: 'amqpNamespace must be lowercase letters, digits, - or _' }) amqpNamespace = 'attune';
  /** Commands handled at once (commits copy blobs, so they may take a while each). */
  @IsInt() @Min(1) @Max(256) prefetch = 16;
  /** How often the retention sweep runs (time-based retention, blob and staging collection). */
  @IsInt() @Min(100) sweepIntervalMs = 60_000;
  /** Staging objects older than this are abandoned uploads and are deleted by the sweep. */
  @IsInt() @Min(1000) stagingTtlMs = 24 * 3600_000;
  /** Blob store settings (ATTUNE_STORAGE_*, ATTUNE_S3_*). */
  storage!: StorageSettings;

  static fromEnv(env: NodeJS.ProcessEnv = process.env): ArtifactStoreConfig {
    const config = validateConfig(ArtifactStoreConfig, {
      environment: env.ATTUNE_ENV ?? env.NODE_ENV,
      port: env.ATTUNE_ARTIFACT_STORE_PORT,
      host: env.ATTUNE_ARTIFACT_STORE_HOST,
      logLevel: env.ATTUNE_LOG_LEVEL,
      databaseUrl: env.ATTUNE_DATABASE_URL,
      databasePoolSize: env.ATTUNE_DATABASE_POOL_SIZE,
      amqpUrl: env.ATTUNE_AMQP_URL,
      amqpNamespace: env.ATTUNE_AMQP_NAMESPACE,
      prefetch: env.ATTUNE_ARTIFACT_STORE_PREFETCH,
      sweepIntervalMs: env.ATTUNE_ARTIFACT_SWEEP_INTERVAL_MS,
      stagingTtlMs: env.ATTUNE_ARTIFACT_STAGING_TTL_MS,
    });
    config.storage = StorageSettings.fromEnv(env);
    return config;
  }
}
