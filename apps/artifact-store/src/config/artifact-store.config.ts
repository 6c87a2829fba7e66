import { ConfigError, ENVIRONMENTS, type Environment, envBool, validateConfig } from '@attune/service-kit';
import type { StorageConfig } from '@attune/storage';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { resolve } from 'node:path';

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
  @IsIn(['fs', 's3']) storageDriver: 'fs' | 's3' = 'fs';
  /** Root directory of the embedded `fs` driver. */
  @IsString() storageFsRoot = resolve('var/blobs');
  @IsOptional() @IsString() s3Endpoint?: string;
  @IsString() s3Region = 'us-east-1';
  @IsOptional() @IsString() s3Bucket?: string;
  @IsOptional() @IsString() s3AccessKeyId?: string;
  @IsOptional() @IsString() s3SecretAccessKey?: string;
  @IsBoolean() s3ForcePathStyle = true;

  storage(): StorageConfig {
    if (this.storageDriver === 'fs') return { driver: 'fs', fsRoot: this.storageFsRoot };
    return {
      driver: 's3',
      s3: {
        endpoint: this.s3Endpoint,
        region: this.s3Region,
        bucket: this.s3Bucket as string,
        accessKeyId: this.s3AccessKeyId,
        secretAccessKey: this.s3SecretAccessKey,
        forcePathStyle: this.s3ForcePathStyle,
      },
    };
  }

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
      storageDriver: env.ATTUNE_STORAGE_DRIVER,
      storageFsRoot: env.ATTUNE_STORAGE_FS_ROOT,
      s3Endpoint: env.ATTUNE_S3_ENDPOINT,
      s3Region: env.ATTUNE_S3_REGION,
      s3Bucket: env.ATTUNE_S3_BUCKET,
      s3AccessKeyId: env.ATTUNE_S3_ACCESS_KEY_ID,
      s3SecretAccessKey: env.ATTUNE_S3_SECRET_ACCESS_KEY,
      s3ForcePathStyle: envBool(env.ATTUNE_S3_FORCE_PATH_STYLE),
    });
    if (config.storageDriver === 's3' && !config.s3Bucket) throw new ConfigError(['ATTUNE_S3_BUCKET is required when ATTUNE_STORAGE_DRIVER=s3']);
    return config;
  }
}
