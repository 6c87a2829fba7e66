import {
  ConfigError,
  DEVELOPMENT_JWT_SECRET,
  DEVELOPMENT_SECRETS_KEY,
  envBool,
  productionSecretsKeyProblem,
  validateConfig,
  DatabaseServiceConfig,
  serviceEnv,
} from '@attune/service-kit';
import { StorageSettings } from '@attune/storage';
import { IsBoolean, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';

export const DEV_ADMIN_LOGIN = 'test@attune.local';
export const DEV_ADMIN_PASSWORD = 'TestPass123!';

/**
 * dist/apps/web beside the running bundle (dist/apps/api/main.js), else under the working
 * directory (the repository root for `npm start`, /app in the image).
 */
function defaultWebDir(): string {
  const beside = process.argv[1] ? resolve(dirname(process.argv[1]), '../web') : undefined;
  if (beside && existsSync(join(beside, 'index.html'))) return beside;
  return resolve(process.cwd(), 'dist/apps/web');
}

/**
 * The example pack (packs/examples in the repository): beside the running bundle
 * (dist/apps/api/main.js → the repository root), else under the working directory.
 */
function defaultExamplesDir(): string {
  const beside = process.argv[1] ? resolve(dirname(process.argv[1]), '../../../packs/examples') : undefined;
  if (beside && existsSync(join(beside, 'pack.yaml'))) return beside;
  return resolve(process.cwd(), 'packs/examples');
}

/** The api's settings. This is the only place in the app that reads process.env. */
export class ApiConfig extends DatabaseServiceConfig {
  @IsInt() @Min(1) @Max(65535) port = 8080;
  @IsString() @MinLength(16) jwtSecret = DEVELOPMENT_JWT_SECRET;
  /** Encrypts secret parameters at rest; must equal the executor's (it decrypts them for the dispatch). */
  @IsString() @MinLength(32) secretsKey = DEVELOPMENT_SECRETS_KEY;
  @IsInt() @Min(60) accessTokenTtlSeconds = 3600;
  @IsInt() @Min(60) refreshTokenTtlSeconds = 7 * 24 * 3600;
  @IsString() @IsNotEmpty() adminLogin = DEV_ADMIN_LOGIN;
  @IsString() @MinLength(8) adminPassword = DEV_ADMIN_PASSWORD;
  @IsOptional() @IsString() adminDisplayName?: string;
  @IsInt() @Min(1) @Max(7 * 24 * 3600) defaultTimeoutSeconds = 600;
  @IsInt() @Min(1) @Max(7 * 24 * 3600) maxTimeoutSeconds = 24 * 3600;
  /** Largest JSON request body accepted. */
  @IsString() bodyLimit = '1mb';
  /** Largest webhook request accepted (bytes); larger ones get 413, by Content-Length before the body is read. */
  @IsInt() @Min(1) @Max(100 * 1024 * 1024) webhookMaxBytes = 256 * 1024;
  /** Calls per second one webhook key may make, sustained, in each api process (429 above it); 0 turns the limit off. */
  @IsInt() @Min(0) @Max(100_000) webhookRateLimitPerSecond = 100;
  /** Calls one webhook key may make at once before the rate applies (a monitoring system's burst of 500 passes). */
  @IsInt() @Min(1) @Max(100_000) webhookRateLimitBurst = 1000;
  /** Largest artifact version accepted by upload (413 above it). Default 10 GiB. */
  @IsInt() @Min(1) artifactMaxUploadBytes = 10 * 1024 ** 3;
  /** How long the api waits for artifact-store to commit an upload (it copies the blob). */
  @IsInt() @Min(100) artifactCommitTimeoutMs = 300_000;
  /** How long the api waits for artifact-store's answer to the other artifact commands. */
  @IsInt() @Min(100) artifactRequestTimeoutMs = 15_000;
  /** Live log tails (SSE) open at once per user (or execution token), and on this api process. */
  @IsInt() @Min(1) liveTailsPerUser = 20;
  @IsInt() @Min(1) liveTailsTotal = 1000;
  /** The longest a live tail stays open; the client then resumes with Last-Event-ID. */
  @IsInt() @Min(1) liveTailMaxSeconds = 600;
  /** A live tail looks again this often without a notification (status changes, a lost LISTEN connection). */
  @IsInt() @Min(50) liveTailPollMs = 1000;
  /** How long storing an uploaded execution log waits for artifact-store's commit (503 after; the worker retries). */
  @IsInt() @Min(100) logCommitTimeoutMs = 10_000;
  /** Downloads up to this size are checked against their sha256 before the first byte is sent; bigger ones while streaming. */
  @IsInt() @Min(0) @Max(256 * 1024 ** 2) artifactVerifyBufferBytes = 8 * 1024 ** 2;
  /** Whether anyone may create an account with POST /auth/register (default: outside production). */
  @IsOptional() @IsBoolean() allowRegistration?: boolean;
  /** bcrypt cost of new password hashes (2^rounds iterations). */
  @IsInt() @Min(10) @Max(15) bcryptRounds = 12;
  /** Worker threads that compute password hashes (never the event loop). */
  @IsInt() @Min(1) @Max(16) passwordHashThreads = 2;
  /** Failed sign-ins of one login within the window before 429 (0: no limit). */
  @IsInt() @Min(0) loginMaxFailuresPerLogin = 10;
  /** Failed sign-ins from one client address within the window before 429 (0: no limit). */
  @IsInt() @Min(0) loginMaxFailuresPerAddress = 50;
  /** Registrations attempted from one client address within the window before 429 (0: no limit). */
  @IsInt() @Min(0) registerMaxPerAddress = 20;
  /** The window of the sign-in and registration limits. */
  @IsInt() @Min(1) @Max(24 * 3600) loginThrottleWindowSeconds = 900;
  /**
   * Express "trust proxy": which proxies' X-Forwarded-For gives the client address used by the
   * limits above. Unset: the socket's peer (right when nothing sits in front of the api).
   */
  @IsOptional() @IsString() trustProxy?: string;
  /** Deepest nesting of arrays and objects accepted in a JSON body (400 deeper). */
  @IsInt() @Min(1) @Max(1000) maxJsonDepth = 64;
  /** Bearer token that may read /metrics besides an administrator's token (unset: administrators only). */
  @IsOptional() @IsString() @MinLength(16) metricsToken?: string;
  /** Largest pack archive accepted by POST /api/v1/packs/upload (413 above it). */
  @IsInt() @Min(1024) packMaxUploadBytes = 50 * 1024 * 1024;
  /** Largest total size of the files in a pack archive once extracted (413 above it). */
  @IsInt() @Min(1024) packMaxExtractedBytes = 200 * 1024 * 1024;
  /** Most entries (files, directories, links) a pack archive may hold. */
  @IsInt() @Min(1) packMaxEntries = 10_000;
  /** Scratch space for pack uploads while they are checked; each upload's directory is removed after. */
  @IsString() packStagingDir = join(tmpdir(), 'attune-pack-staging');
  /**
   * Directories the server may register packs from (POST /api/v1/packs/register {path}): absolute
   * paths, from ATTUNE_PACK_ROOTS (comma-separated). Empty (the default): that route is refused.
   */
  @IsString({ each: true }) packRoots: string[] = [];
  /**
   * Whether the api registers the example pack (`examples`, with its workflows) at startup, as
   * it does `core`. Default: outside production. ATTUNE_EXAMPLES=false skips it.
   */
  @IsOptional() @IsBoolean() registerExamples?: boolean;
  /** Where the example pack is (ATTUNE_EXAMPLES_DIR); a missing directory is skipped with a warning. */
  @IsString() examplesDir = defaultExamplesDir();
  /** The built web UI served at / (apps/web, built into dist/apps/web); the api runs without it. */
  @IsString() webDir = defaultWebDir();
  /** How often expired datastore keys are deleted (they are invisible from the moment they expire). */
  @IsInt() @Min(100) keySweepIntervalMs = 60_000;
  /** How long POST /api/v1/inquiries/{id}/respond waits for the executor to record the answer. */
  @IsInt() @Min(100) @Max(60_000) inquiryRespondWaitMs = 5000;
  /** How long POST /api/v1/executions/{id}/cancel waits for the executor's answer (503 after). */
  @IsInt() @Min(100) @Max(60_000) cancelTimeoutMs = 5000;
  /** Blob store settings (ATTUNE_STORAGE_*, ATTUNE_S3_*): the api streams uploads into staging objects. */
  storage!: StorageSettings;

  get production(): boolean {
    return this.environment === 'production';
  }

  static fromEnv(env: NodeJS.ProcessEnv = process.env): ApiConfig {
    const config = validateConfig(ApiConfig, {
      ...serviceEnv(env, 'API'),
      port: env.ATTUNE_API_PORT ?? env.PORT,
      jwtSecret: env.ATTUNE_JWT_SECRET,
      secretsKey: env.ATTUNE_SECRETS_KEY,
      accessTokenTtlSeconds: env.ATTUNE_ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: env.ATTUNE_REFRESH_TOKEN_TTL_SECONDS,
      adminLogin: env.ATTUNE_ADMIN_LOGIN,
      adminPassword: env.ATTUNE_ADMIN_PASSWORD,
      adminDisplayName: env.ATTUNE_ADMIN_DISPLAY_NAME,
      defaultTimeoutSeconds: env.ATTUNE_DEFAULT_TIMEOUT_SECONDS,
      maxTimeoutSeconds: env.ATTUNE_MAX_TIMEOUT_SECONDS,
      bodyLimit: env.ATTUNE_API_BODY_LIMIT,
      allowRegistration: envBool(env.ATTUNE_ALLOW_REGISTRATION),
      bcryptRounds: env.ATTUNE_BCRYPT_ROUNDS,
      passwordHashThreads: env.ATTUNE_PASSWORD_HASH_THREADS,
      loginMaxFailuresPerLogin: env.ATTUNE_LOGIN_MAX_FAILURES_PER_LOGIN,
      loginMaxFailuresPerAddress: env.ATTUNE_LOGIN_MAX_FAILURES_PER_ADDRESS,
      registerMaxPerAddress: env.ATTUNE_REGISTER_MAX_PER_ADDRESS,
      loginThrottleWindowSeconds: env.ATTUNE_LOGIN_THROTTLE_WINDOW_SECONDS,
      trustProxy: env.ATTUNE_API_TRUST_PROXY,
      maxJsonDepth: env.ATTUNE_API_MAX_JSON_DEPTH,
      metricsToken: env.ATTUNE_METRICS_TOKEN,
      packMaxUploadBytes: env.ATTUNE_PACK_MAX_UPLOAD_BYTES,
      packMaxExtractedBytes: env.ATTUNE_PACK_MAX_EXTRACTED_BYTES,
      packMaxEntries: env.ATTUNE_PACK_MAX_ENTRIES,
      packStagingDir: env.ATTUNE_PACK_STAGING_DIR,
      keySweepIntervalMs: env.ATTUNE_KEY_SWEEP_INTERVAL_MS,
      inquiryRespondWaitMs: env.ATTUNE_INQUIRY_RESPOND_WAIT_MS,
      cancelTimeoutMs: env.ATTUNE_CANCEL_TIMEOUT_MS,
      packRoots: env.ATTUNE_PACK_ROOTS === undefined ? undefined : env.ATTUNE_PACK_ROOTS.split(',').map((p) => p.trim()).filter(Boolean),
      webDir: env.ATTUNE_WEB_DIR,
      registerExamples: envBool(env.ATTUNE_EXAMPLES),
      examplesDir: env.ATTUNE_EXAMPLES_DIR,
      webhookMaxBytes: env.ATTUNE_WEBHOOK_MAX_BYTES,
      webhookRateLimitPerSecond: env.ATTUNE_WEBHOOK_RATE_LIMIT_PER_SECOND,
      webhookRateLimitBurst: env.ATTUNE_WEBHOOK_RATE_LIMIT_BURST,
      artifactMaxUploadBytes: env.ATTUNE_ARTIFACT_MAX_UPLOAD_BYTES,
      artifactCommitTimeoutMs: env.ATTUNE_ARTIFACT_COMMIT_TIMEOUT_MS,
      artifactRequestTimeoutMs: env.ATTUNE_ARTIFACT_REQUEST_TIMEOUT_MS,
      logCommitTimeoutMs: env.ATTUNE_LOG_COMMIT_TIMEOUT_MS,
      liveTailsPerUser: env.ATTUNE_LIVE_TAILS_PER_USER,
      liveTailsTotal: env.ATTUNE_LIVE_TAILS_TOTAL,
      liveTailMaxSeconds: env.ATTUNE_LIVE_TAIL_MAX_SECONDS,
      liveTailPollMs: env.ATTUNE_LIVE_TAIL_POLL_MS,
      artifactVerifyBufferBytes: env.ATTUNE_ARTIFACT_VERIFY_BUFFER_BYTES,
    });
    config.storage = StorageSettings.fromEnv(env);
    config.allowRegistration ??= !config.production;
    config.registerExamples ??= !config.production;
    if (Buffer.byteLength(config.adminPassword) > 72) throw new ConfigError(['ATTUNE_ADMIN_PASSWORD must be at most 72 bytes (bcrypt)']);
    if (config.production) {
      const problems: string[] = [];
      if (config.jwtSecret === DEVELOPMENT_JWT_SECRET) problems.push('ATTUNE_JWT_SECRET must be set in production');
      const secretsKeyProblem = productionSecretsKeyProblem(config.secretsKey, config.jwtSecret);
      if (secretsKeyProblem) problems.push(secretsKeyProblem);
      if (config.adminPassword === DEV_ADMIN_PASSWORD) {
        problems.push('ATTUNE_ADMIN_PASSWORD must not be the development default in production');
      }
      if (problems.length) throw new ConfigError(problems);
    }
    const relativeRoots = config.packRoots.filter((p) => !isAbsolute(p));
    if (relativeRoots.length) throw new ConfigError([`ATTUNE_PACK_ROOTS must hold absolute paths (got ${relativeRoots.join(', ')})`]);
    if (config.defaultTimeoutSeconds > config.maxTimeoutSeconds) {
      throw new ConfigError(['ATTUNE_DEFAULT_TIMEOUT_SECONDS must not exceed ATTUNE_MAX_TIMEOUT_SECONDS']);
    }
    return config;
  }
}

/** What `migrate` needs: only the database. It must not demand the api's secrets. */
export class MigrateConfig {
  @Matches(/^postgres(ql)?:\/\//, { message: 'databaseUrl must be a postgres:// URL' }) databaseUrl =
    'postgres://postgres@127.0.0.1:5432/attune';

  static fromEnv(env: NodeJS.ProcessEnv = process.env): MigrateConfig {
    return validateConfig(MigrateConfig, { databaseUrl: env.ATTUNE_DATABASE_URL });
  }
}
