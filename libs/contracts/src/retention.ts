import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Min } from 'class-validator';
import { DURATION_PATTERN } from './artifacts';
import { TERMINAL_STATUSES, type ExecutionStatus } from './execution-status';

/** Executions handed to artifact-store at once for their logs to be purged. */
export const RETENTION_MAX_BATCH = 1000;
/** A cleanup report lists at most this many items (counts are always whole). */
export const RETENTION_MAX_ITEMS = 1000;

/**
 * api → executor (request/reply): delete terminal executions older than `older_than` (and their
 * logs), `POST /api/v1/executions/cleanup`. Replies with an ExecutionCleanupReportV1.
 */
export class ExecutionCleanupV1 {
  @IsString() @Matches(DURATION_PATTERN) older_than!: string;
  /** Only these terminal statuses (all terminal ones when absent). */
  @IsOptional() @IsArray() @IsIn(TERMINAL_STATUSES, { each: true }) status?: ExecutionStatus[];
  @IsOptional() @IsBoolean() dry_run?: boolean;
}

export interface ExecutionCleanupItemV1 {
  id: number;
  action_ref: string;
  status: ExecutionStatus;
  created: string;
}

export interface ExecutionCleanupReportV1 {
  dry_run: boolean;
  older_than: string;
  /** ISO-8601: executions created and last changed before it are removed. */
  cutoff: string;
  deleted_executions: number;
  /** Log artifacts (stdout/stderr) of those executions, removed with them. */
  deleted_log_artifacts: number;
  /** The first RETENTION_MAX_ITEMS executions removed, oldest first. */
  items: ExecutionCleanupItemV1[];
  items_truncated: boolean;
}

/**
 * executor → artifact-store (request/reply): purge the logs (log artifacts, their versions, log
 * streams and live chunks) of executions the executor is about to delete. artifact-store checks
 * each against the same retention rule first (cutoff and statuses), so a stale request never
 * removes the log of an execution that is kept.
 */
export class ExecutionLogsPurgeV1 {
  @IsArray() @ArrayMaxSize(RETENTION_MAX_BATCH) @IsInt({ each: true }) @Min(1, { each: true }) execution_ids!: number[];
  @IsString() cutoff!: string;
  @IsArray() @IsIn(TERMINAL_STATUSES, { each: true }) statuses!: ExecutionStatus[];
}

export interface ExecutionLogsPurgeReportV1 {
  /** Executions whose logs are gone now (or never had any). */
  purged: number[];
  deleted_log_artifacts: number;
}
