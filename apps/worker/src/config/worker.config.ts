import { ConfigError, Env, ServiceConfig, serviceConfigFromEnv } from '@attune/service-kit';
import { RUNTIMES, type Runtime } from '@attune/contracts';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, Allow } from 'class-validator';
import { isIP } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ID_RANGE = /^\s*\d+\s*-\s*\d+\s*$/;

/** An inclusive range of ids, parsed from `first-last`. */
export interface IdRange {
  first: number;
  last: number;
}

/** packs/core beside the running bundle (dist/apps/worker/main.js), else under the working directory. */
function defaultCorePackDir(): string {
  const beside = process.argv[1] ? resolve(dirname(process.argv[1]), 'packs/core') : undefined;
  if (beside && existsSync(join(beside, 'actions'))) return beside;
  return resolve('packs/core');
}

/** What is wrong with a comma-separated list of CIDR ranges (`none`: an empty list). */
export function cidrProblems(text: string): string[] {
  if (text.trim() === 'none') return [];
  return text
    .split(',')
    .map((r) => r.trim())
    .flatMap((range) => {
      const [address, prefix, extra] = range.split('/');
      const family = isIP(address ?? '');
      const bits = Number(prefix);
      const ok = family !== 0 && extra === undefined && /^\d{1,3}$/.test(prefix ?? '') && bits <= (family === 4 ? 32 : 128);
      return ok ? [] : [`"${range}" is not an address range like 169.254.0.0/16 or fe80::/10`];
    });
}

/** The items of a comma-separated list, trimmed, empty ones left out. */
function commaList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
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
  @Env('ATTUNE_WORKER_NAME') @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/) name = `${hostname()}-${process.pid}`;
  @Env('ATTUNE_WORKER_POOL') @Matches(/^[a-z0-9][a-z0-9_-]*$/) pool = 'default';
  /** Processes run at once; also the dispatch queue prefetch. */
  @Env('ATTUNE_WORKER_CONCURRENCY') @IsInt() @Min(1) @Max(1024) concurrency = 16;
  /** Where each execution gets its own working directory. */
  @Env('ATTUNE_WORK_DIR') @IsString() workDir = join(tmpdir(), 'attune-work');
  /** Where pack files live (for actions whose entrypoint is a script path). */
  @Env('ATTUNE_PACKS_DIR') @IsString() packsDir = resolve('packs');
  /** The built-in `core` pack's scripts (core.http_request): shipped beside the bundle. */
  @Env('ATTUNE_CORE_PACK_DIR') @IsString() corePackDir = defaultCorePackDir();
  /** The API base URL handed to actions as ATTUNE_API_URL. */
  @Env('ATTUNE_API_URL') @IsUrl({ require_tld: false, require_protocol: true }) apiUrl = 'http://127.0.0.1:8080';
  /** Characters of stdout/stderr kept in the result preview. */
  @Env('ATTUNE_RESULT_PREVIEW_CHARS') @IsInt() @Min(0) @Max(1_000_000) previewChars = 1000;
  /** Largest stdout parsed for json/jsonl/yaml output formats. */
  @Env('ATTUNE_MAX_PARSED_OUTPUT_BYTES') @IsInt() @Min(1024) maxParsedOutputBytes = 4 * 1024 * 1024;
  /** Between SIGTERM and SIGKILL when a process must stop. */
  @Env('ATTUNE_KILL_GRACE_MS') @IsInt() @Min(0) killGraceMs = 5000;
  @Env('ATTUNE_WORKER_HEARTBEAT_MS') @IsInt() @Min(500) heartbeatIntervalMs = 5_000;
  /** Bytes of each of stdout and stderr kept in the log unless the action sets its own cap. */
  @Env('ATTUNE_MAX_LOG_BYTES') @IsInt() @Min(1024) maxLogBytes = 1024 * 1024 * 1024;
  /** Output is gathered this long at most before a live log chunk goes out. */
  @Env('ATTUNE_LOG_FLUSH_MS') @IsInt() @Min(5) logFlushMs = 50;
  /**
   * Live log chunks (for tails, and what a lost worker leaves) carry at most this many bytes a
   * second per stream; faster output is stored whole all the same, the live view lags behind.
   */
  @Env('ATTUNE_LIVE_LOG_BYTES_PER_SECOND') @IsInt() @Min(1024) liveLogBytesPerSecond = 4 * 1024 * 1024;
  /**
   * How long the worker keeps trying to store an execution's logs after the process ended. Past
   * it the execution ends `failed`, its result saying which log is incomplete.
   */
  @Env('ATTUNE_LOG_STORE_TIMEOUT_MS') @IsInt() @Min(1000) logStoreTimeoutMs = 300_000;
  /** A log past this size starts being stored while the process still runs (0: only after). */
  @Env('ATTUNE_EARLY_LOG_BYTES') @IsInt() @Min(0) earlyLogBytes = 8 * 1024 * 1024;
  /** An upload that follows a running process is given up after this long (then the log is stored after the process). */
  @Env('ATTUNE_EARLY_LOG_MAX_MS') @IsInt() @Min(1000) earlyLogMaxMs = 60_000;
  /**
   * On shutdown, how long running processes may finish before the worker leaves; an execution
   * still running then is the executor's worker-loss policy's (`on_worker_lost`).
   */
  @Env('ATTUNE_WORKER_DRAIN_TIMEOUT_MS') @IsInt() @Min(0) drainTimeoutMs = 55_000;
  /** How long the claim made before every run may wait for the executor's answer (see DispatchDecider). */
  @Env('ATTUNE_WORKER_CLAIM_TIMEOUT_MS') @IsInt() @Min(100) claimTimeoutMs = 10_000;
  /**
   * Start action processes from a small spawner process rather than from the worker itself: a
   * fork of the large worker costs several times more (docs/benchmarks.md). Off: the worker
   * starts them itself.
   */
  @Env('ATTUNE_WORKER_SPAWNER') @IsBoolean() spawner = true;
  @Env('ATTUNE_KEEP_WORK_DIRS') @IsBoolean() keepWorkDirs = false;
  @Env('ATTUNE_PYTHON') @IsString() python = 'python3';
  @Env('ATTUNE_NODE') @IsString() node = process.execPath;
  /**
   * The runtimes this worker offers (ATTUNE_WORKER_RUNTIMES, comma-separated). Unset: every
   * runtime whose interpreter answers at startup. Each listed one must answer too.
   */
  @Env('ATTUNE_WORKER_RUNTIMES', commaList) @IsOptional() @IsIn(RUNTIMES, { each: true }) runtimesWanted?: Runtime[];
  /** Set at startup from the probe: what the heartbeat announces and the queue is named after. */
  @IsIn(RUNTIMES, { each: true }) runtimes: Runtime[] = [];
  /** Where fetched pack archives are extracted, one directory per SHA-256; reused while present. */
  @Env('ATTUNE_PACK_CACHE_DIR') @IsString() packCacheDir = join(tmpdir(), 'attune-pack-cache');
  /** Limits of an extracted pack archive (the api checks the same ones at upload). */
  @Env('ATTUNE_PACK_MAX_EXTRACTED_BYTES') @IsInt() @Min(1024) packMaxExtractedBytes = 200 * 1024 * 1024;
  @Env('ATTUNE_PACK_MAX_ENTRIES') @IsInt() @Min(1) packMaxEntries = 10_000;
  /** How long fetching a pack archive from the api may take. */
  @Env('ATTUNE_PACK_FETCH_TIMEOUT_MS') @IsInt() @Min(1000) packFetchTimeoutMs = 60_000;
  /**
   * Where the environments of packs (a virtualenv for `requirements.txt`, node_modules for
   * `package.json`) are built, one directory per pack SHA-256, beside the pack cache by default.
   */
  @Env('ATTUNE_PACK_ENV_DIR') @IsString() packEnvDir = join(tmpdir(), 'attune-pack-envs');
  /** How long building one pack's environment (every installer step together) may take. */
  @Env('ATTUNE_PACK_ENV_TIMEOUT_MS') @IsInt() @Min(1000) packEnvTimeoutMs = 600_000;
  /** pip options for pack environments: `--index-url`, `--find-links` (comma-separated), `--no-index`. */
  @Env('ATTUNE_PIP_INDEX_URL') @IsOptional() @IsString() pipIndexUrl?: string;
  @Env('ATTUNE_PIP_FIND_LINKS') @IsOptional() @IsString() pipFindLinks?: string;
  @Env('ATTUNE_PIP_NO_INDEX') @IsBoolean() pipNoIndex = false;
  /** The npm program and its registry for pack environments. */
  @Env('ATTUNE_NPM') @IsString() npm = 'npm';
  @Env('ATTUNE_NPM_REGISTRY') @IsOptional() @IsString() npmRegistry?: string;
  /**
   * Address ranges (CIDR, comma-separated) `core.http_request` refuses to connect to: by default
   * link-local (and so cloud metadata at 169.254.169.254) and the other metadata addresses.
   * `none` denies nothing.
   */
  @Env('ATTUNE_HTTP_REQUEST_DENY') @IsString() httpRequestDeny = '169.254.0.0/16,fe80::/10,fd00:ec2::254/128,100.100.100.200/32';
  /**
   * How actions are kept apart (ATTUNE_RUN_ISOLATION). `uid`: when the worker is root, each
   * execution runs as a uid of its own from runUidRange; a worker that is not root says once at
   * start that it cannot. `none`: actions run as the worker's user.
   */
  @Env('ATTUNE_RUN_ISOLATION') @IsIn(['uid', 'none']) runIsolation: 'uid' | 'none' = 'uid';
  /** ATTUNE_RUN_UID_RANGE (`first-last`): uids no account on the host uses; at least `concurrency` of them. */
  @Env('ATTUNE_RUN_UID_RANGE') @Matches(ID_RANGE) runUidRangeText = '200000-299999';
  /** ATTUNE_RUN_GID_RANGE: the primary gid of each run, at the same offset as its uid (default: the uid range). */
  @Env('ATTUNE_RUN_GID_RANGE') @IsOptional() @Matches(ID_RANGE) runGidRangeText?: string;
  /** The two ranges, parsed (set by fromEnv). */
  @Allow() runUidRange: IdRange = { first: 200_000, last: 299_999 };
  @Allow() runGidRange: IdRange = { first: 200_000, last: 299_999 };

  static fromEnv(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
    const config = serviceConfigFromEnv(WorkerConfig, env, 'WORKER');
    const problems: string[] = [];
    config.runUidRange = parseIdRange(config.runUidRangeText) as IdRange;
    config.runGidRange = parseIdRange(config.runGidRangeText ?? config.runUidRangeText) as IdRange;
    const size = (r: IdRange) => r.last - r.first + 1;
    if (!config.runUidRange || !config.runGidRange) {
      throw new ConfigError(['ATTUNE_RUN_UID_RANGE and ATTUNE_RUN_GID_RANGE must be first-last with 1 <= first <= last < 4294967295']);
    }
    problems.push(...cidrProblems(config.httpRequestDeny).map((p) => `ATTUNE_HTTP_REQUEST_DENY: ${p}`));
    if (size(config.runGidRange) !== size(config.runUidRange)) problems.push('ATTUNE_RUN_GID_RANGE must hold as many ids as ATTUNE_RUN_UID_RANGE');
    if (size(config.runUidRange) < config.concurrency) problems.push(`ATTUNE_RUN_UID_RANGE must hold at least ATTUNE_WORKER_CONCURRENCY (${config.concurrency}) uids`);
    if (problems.length) throw new ConfigError(problems);
    return config;
  }
}
