import { ConfigError, envBool, validateConfig } from '@attune/service-kit';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { resolve } from 'node:path';
import type { StorageConfig } from './storage.module';

/**
 * The blob-store settings shared by every service that touches the bucket (the api writes
 * staging objects, artifact-store owns the rest). Built from the environment the app's own
 * config class hands over.
 */
export class StorageSettings {
  @IsIn(['fs', 's3']) driver: 'fs' | 's3' = 'fs';
  /** Root directory of the embedded `fs` driver; services on one machine must share it. */
  @IsString() fsRoot = resolve('var/blobs');
  @IsOptional() @IsString() s3Endpoint?: string;
  @IsString() s3Region = 'us-east-1';
  @IsOptional() @IsString() s3Bucket?: string;
  @IsOptional() @IsString() s3AccessKeyId?: string;
  @IsOptional() @IsString() s3SecretAccessKey?: string;
  @IsBoolean() s3ForcePathStyle = true;
  /** Lifetime of presigned URLs for direct transfers (seconds). */
  @IsInt() @Min(1) @Max(604_800) s3PresignTtlSeconds = 300;
  /** The S3 endpoint clients reach, for presigned URLs, when it differs from s3Endpoint. */
  @IsOptional() @IsString() s3PublicEndpoint?: string;

  toStorageConfig(): StorageConfig {
    if (this.driver === 'fs') return { driver: 'fs', fsRoot: this.fsRoot };
    return {
      driver: 's3',
      s3: {
        endpoint: this.s3Endpoint,
        region: this.s3Region,
        bucket: this.s3Bucket as string,
        accessKeyId: this.s3AccessKeyId,
        secretAccessKey: this.s3SecretAccessKey,
        forcePathStyle: this.s3ForcePathStyle,
        presignTtlSeconds: this.s3PresignTtlSeconds,
        publicEndpoint: this.s3PublicEndpoint,
      },
    };
  }

  static fromEnv(env: NodeJS.ProcessEnv): StorageSettings {
    const settings = validateConfig(StorageSettings, {
      driver: env.ATTUNE_STORAGE_DRIVER,
      fsRoot: env.ATTUNE_STORAGE_FS_ROOT,
      s3Endpoint: env.ATTUNE_S3_ENDPOINT,
      s3Region: env.ATTUNE_S3_REGION,
      s3Bucket: env.ATTUNE_S3_BUCKET,
      s3AccessKeyId: env.ATTUNE_S3_ACCESS_KEY_ID,
      s3SecretAccessKey: env.ATTUNE_S3_SECRET_ACCESS_KEY,
      s3ForcePathStyle: envBool(env.ATTUNE_S3_FORCE_PATH_STYLE),
      s3PresignTtlSeconds: env.ATTUNE_S3_PRESIGN_TTL_SECONDS,
      s3PublicEndpoint: env.ATTUNE_S3_PUBLIC_ENDPOINT,
    });
    if (settings.driver === 's3' && !settings.s3Bucket) {
      throw new ConfigError(['ATTUNE_S3_BUCKET is required when ATTUNE_STORAGE_DRIVER=s3']);
    }
    return settings;
  }
}
