import { ConfigError, validateConfig, ServiceConfig, serviceEnv } from '@attune/service-kit';
import { RUNTIMES, type Runtime } from '@attune/contracts';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, Allow } from 'class-validator';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { envBool } from '@attune/service-kit';

const ID_RANGE = /^\s*\d+\s*-\s*\d+\s*$/;

/** An inclusive range of ids, parsed from `first-last`. */
export interface IdRange {
  first: number;
  last: number;
}

export function parseIdRange(text: string): IdRange | undefined {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  if (!m) return undefined;
  const first = Number(m[1]);
  const last = Number(m[2]);
  return first >= 1 && last >= first && last < 2 ** 32 - 1 ? { first, last } : undefined;
}

/** The worker's settings. This is the only place in the app that reads process.env. */
export class WorkerConfig extends ServiceConfig {
  @IsInt() @Min(0) @Max(65535) port = 8083;
  /** Unique per worker process; shown in GET /api/v1/workers and in each execution's `worker`. */
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/) name = `${hostname()}-${process.pid}`;
  @Matches(/^[a-z0-9][a-z0-9_-]*$/) pool = 'default';
  /** Processes run at once; also the dispatch queue prefetch. */
  @IsInt() @Min(1) @Max(1024) concurrency = 16;
  /** Where each execution gets its own working directory. */
  @IsString() workDir = join(tmpdir(), 'attune-work');
  /** Where pack files live (for actions whose entrypoint is a script path). */
  @IsString() packsDir = resolve('packs');
  /** The API base URL handed to actions as ATTUNE_API_URL. */
  @IsUrl({ require_tld: false, require_protocol: true }) apiUrl = 'http://127.0.0.1:8080';
  /** Characters of stdout/stderr kept in the result preview. */
  @IsInt() @Min(0) @Max(1_000_000) previewChars = 1000;
  /** Largest stdout parsed for json/jsonl/yaml output formats. */
  @IsInt() @Min(1024) maxParsedOutputBytes = 4 * 1024 * 1024;
  /** Between SIGTERM and SIGKILL when a process must stop. */
  @IsInt() @Min(0) killGraceMs = 5000;
  @IsInt() @Min(500) heartbeatIntervalMs = 5_000;
  /** Bytes of each of stdout and stderr kept in the log unless the action sets its own cap. */
  @IsInt() @Min(1024) maxLogBytes = 1024 * 1024 * 1024;
  /** Output is gathered this long at most before a live log chunk goes out. */
  @IsInt() @Min(5) logFlushMs = 50;
  /**
   * Live log chunks (for tails, and what a lost worker leaves) carry at most this many bytes a
   * second per stream; faster output is stored whole all the same, the live view lags behind.
   */
  @IsInt() @Min(1024) liveLogBytesPerSecond = 4 * 1024 * 1024;
  /**
   * How long the worker keeps trying to store an execution's logs after the process ended. Past
   * it the execution ends `failed`, its result saying which log is incomplete.
   */
  @IsInt() @Min(1000) logStoreTimeoutMs = 300_000;
  /** A log past this size starts being stored while the process still runs (0: only after). */
  @IsInt() @Min(0) earlyLogBytes = 8 * 1024 * 1024;
  /** An upload that follows a running process is given up after this long (then the log is stored after the process). */
  @IsInt() @Min(1000) earlyLogMaxMs = 60_000;
  /**
   * On shutdown, how long running processes may finish before the worker leaves; a dispatch
   * still running then returns to the queue and runs again elsewhere.
   */
  @IsInt() @Min(0) drainTimeoutMs = 55_000;
  @IsBoolean() keepWorkDirs = false;
  @IsString() python = 'python3';
  @IsString() node = process.execPath;
  /**
   * The runtimes this worker offers (ATTUNE_WORKER_RUNTIMES, comma-separated). Unset: every
   * runtime whose interpreter answers at startup. Each listed one must answer too.
   */
  @IsOptional() @IsIn(RUNTIMES, { each: true }) runtimesWanted?: Runtime[];
  /** Set at startup from the probe: what the heartbeat announces and the queue is named after. */
  @IsIn(RUNTIMES, { each: true }) runtimes: Runtime[] = [];
  /** Where fetched pack archives are extracted, one directory per SHA-256; reused while present. */
  @IsString() packCacheDir = join(tmpdir(), 'attune-pack-cache');
  /** Limits of an extracted pack archive (the api checks the same ones at upload). */
  @IsInt() @Min(1024) packMaxExtractedBytes = 200 * 1024 * 1024;
  @IsInt() @Min(1) packMaxEntries = 10_000;
  /** How long fetching a pack archive from the api may take. */
  @IsInt() @Min(1000) packFetchTimeoutMs = 60_000;
  /**
   * How actions are kept apart (ATTUNE_RUN_ISOLATION). `uid`: when the worker is root, each
   * execution runs as a uid of its own from runUidRange; a worker that is not root says once at
   * start that it cannot. `none`: actions run as the worker's user.
   */
  @IsIn(['uid', 'none']) runIsolation: 'uid' | 'none' = 'uid';
  /** ATTUNE_RUN_UID_RANGE (`first-last`): uids no account on the host uses; at least `concurrency` of them. */
  @Matches(ID_RANGE) runUidRangeText = '200000-299999';
  /** ATTUNE_RUN_GID_RANGE: the primary gid of each run, at the same offset as its uid (default: the uid range). */
  @IsOptional() @Matches(ID_RANGE) runGidRangeText?: string;
  /** The two ranges, parsed (set by fromEnv). */
  @Allow() runUidRange: IdRange = { first: 200_000, last: 299_999 };
  @Allow() runGidRange: IdRange = { first: 200_000, last: 299_999 };

  static fromEnv(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
    const config = validateConfig(WorkerConfig, {
      ...serviceEnv(env, 'WORKER'),
      name: env.ATTUNE_WORKER_NAME,
      pool: env.ATTUNE_WORKER_POOL,
      concurrency: env.ATTUNE_WORKER_CONCURRENCY,
      workDir: env.ATTUNE_WORK_DIR,
      packsDir: env.ATTUNE_PACKS_DIR,
      apiUrl: env.ATTUNE_API_URL,
      previewChars: env.ATTUNE_RESULT_PREVIEW_CHARS,
      maxParsedOutputBytes: env.ATTUNE_MAX_PARSED_OUTPUT_BYTES,
      killGraceMs: env.ATTUNE_KILL_GRACE_MS,
      heartbeatIntervalMs: env.ATTUNE_WORKER_HEARTBEAT_MS,
      maxLogBytes: env.ATTUNE_MAX_LOG_BYTES,
      logFlushMs: env.ATTUNE_LOG_FLUSH_MS,
      liveLogBytesPerSecond: env.ATTUNE_LIVE_LOG_BYTES_PER_SECOND,
      logStoreTimeoutMs: env.ATTUNE_LOG_STORE_TIMEOUT_MS,
      earlyLogBytes: env.ATTUNE_EARLY_LOG_BYTES,
      earlyLogMaxMs: env.ATTUNE_EARLY_LOG_MAX_MS,
      drainTimeoutMs: env.ATTUNE_WORKER_DRAIN_TIMEOUT_MS,
      keepWorkDirs: envBool(env.ATTUNE_KEEP_WORK_DIRS),
      python: env.ATTUNE_PYTHON,
      node: env.ATTUNE_NODE,
      runtimesWanted: env.ATTUNE_WORKER_RUNTIMES?.split(',').map((r) => r.trim()).filter(Boolean),
      packCacheDir: env.ATTUNE_PACK_CACHE_DIR,
      packMaxExtractedBytes: env.ATTUNE_PACK_MAX_EXTRACTED_BYTES,
      packMaxEntries: env.ATTUNE_PACK_MAX_ENTRIES,
      packFetchTimeoutMs: env.ATTUNE_PACK_FETCH_TIMEOUT_MS,
      runIsolation: env.ATTUNE_RUN_ISOLATION,
      runUidRangeText: env.ATTUNE_RUN_UID_RANGE,
      runGidRangeText: env.ATTUNE_RUN_GID_RANGE,
    });
    const problems: string[] = [];
    config.runUidRange = parseIdRange(config.runUidRangeText) as IdRange;
    config.runGidRange = parseIdRange(config.runGidRangeText ?? config.runUidRangeText) as IdRange;
    const size = (r: IdRange) => r.last - r.first + 1;
    if (!config.runUidRange || !config.runGidRange) {
      throw new ConfigError(['ATTUNE_RUN_UID_RANGE and ATTUNE_RUN_GID_RANGE must be first-last with 1 <= first <= last < 4294967295']);
    }
    if (size(config.runGidRange) !== size(config.runUidRange)) problems.push('ATTUNE_RUN_GID_RANGE must hold as many ids as ATTUNE_RUN_UID_RANGE');
    if (size(config.runUidRange) < config.concurrency) problems.push(`ATTUNE_RUN_UID_RANGE must hold at least ATTUNE_WORKER_CONCURRENCY (${config.concurrency}) uids`);
    if (problems.length) throw new ConfigError(problems);
    return config;
  }
}
