import { DatabaseServiceConfig, Env, serviceConfigFromEnv } from '@attune/service-kit';
import { StorageSettings } from '@attune/storage';
import { IsInt, Max, Min } from 'class-validator';

/** The artifact-store's settings. This is the only place in the app that reads process.env. */
export class ArtifactStoreConfig extends DatabaseServiceConfig {
  @IsInt() @Min(1) @Max(65535) port = 8082;
  /** Commands handled at once (commits copy blobs, so they may take a while each). */
  @Env('ATTUNE_ARTIFACT_STORE_PREFETCH') @IsInt() @Min(1) @Max(256) prefetch = 16;
  /** How often the retention sweep runs (time-based retention, blob and staging collection). */
  @Env('ATTUNE_ARTIFACT_SWEEP_INTERVAL_MS') @IsInt() @Min(100) sweepIntervalMs = 60_000;
  /** Staging objects older than this are abandoned uploads and are deleted by the sweep. */
  @Env('ATTUNE_ARTIFACT_STAGING_TTL_MS') @IsInt() @Min(1000) stagingTtlMs = 24 * 3600_000;
  /** Live log chunks handled at once (their own queue, `artifact-store.logs`). */
  @Env('ATTUNE_LOG_CHUNK_PREFETCH') @IsInt() @Min(1) @Max(256) logPrefetch = 8;
  /**
   * How long the live chunks of a log outlive the storing of the whole log, so that a read that
   * began on them finishes; then the sweep removes them.
   */
  @Env('ATTUNE_LOG_CHUNK_GRACE_MS') @IsInt() @Min(0) logChunkGraceMs = 10 * 60_000;
  /** How often the integrity scrub re-reads a batch of stored blobs (0: never). */
  @Env('ATTUNE_BLOB_SCRUB_INTERVAL_MS') @IsInt() @Min(0) scrubIntervalMs = 3_600_000;
  /** Blobs re-read per scrub pass at most. */
  @Env('ATTUNE_BLOB_SCRUB_BATCH') @IsInt() @Min(1) scrubBatch = 200;
  /** Bytes re-read per scrub pass, about (the blob that crosses it is finished). */
  @Env('ATTUNE_BLOB_SCRUB_MAX_BYTES') @IsInt() @Min(1) scrubMaxBytes = 1024 ** 3;
  /** Blob store settings (ATTUNE_STORAGE_*, ATTUNE_S3_*). */
  storage!: StorageSettings;

  static fromEnv(env: NodeJS.ProcessEnv = process.env): ArtifactStoreConfig {
    const config = serviceConfigFromEnv(ArtifactStoreConfig, env, 'ARTIFACT_STORE');
    config.storage = StorageSettings.fromEnv(env);
    return config;
  }
}
