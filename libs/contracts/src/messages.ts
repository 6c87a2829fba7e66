import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { OUTPUT_FORMATS, PACK_DIGEST_PATTERN, RUNTIMES, WORKER_LOST_POLICIES } from './action';
import type { ActionSnapshot, OutputFormat, Runtime, WorkerLostPolicy } from './action';
import type { ExecutionResult } from './execution-result';
import type { ExecutionStatus } from './execution-status';
import type { WorkflowTaskRef } from './workflow-task';
import { ExecutionCleanupV1, ExecutionLogsPurgeV1 } from './retention';
import { ARTIFACT_TYPES, RETENTION_POLICIES, type ArtifactType, type RetentionPolicy } from './artifacts';
import { ArtifactDirectCommitV1 } from './direct-transfers';
import {
  ArtifactCleanupV1,
  ArtifactCommitV1,
  ArtifactCreateV1,
  ArtifactDeleteV1,
  ArtifactProgressAppendV1,
  ArtifactUpdateV1,
  ArtifactVersionDeleteV1,
} from './artifacts';

/**
 * Message names. They are versioned and domain-prefixed; a published name is never renamed or
 * changed incompatibly: a new shape gets a new version next to the old one.
 */
export const MessageTypes = {
  ExecutionRequested: 'execution.requested.v1',
  ExecutionDispatch: 'execution.dispatch.v1',
  ExecutionStarted: 'execution.started.v1',
  ExecutionFinished: 'execution.finished.v1',
  /**
   * worker → executor (request/reply): may this redelivered dispatch run? The executor records
   * `running` for the worker when the execution still waits on the same attempt, and says so.
   */
  ExecutionClaim: 'execution.claim.v1',
  /** api → executor (request/reply): a user asked to cancel; the reply is ExecutionCancelReplyV1. */
  ExecutionCancelRequested: 'execution.cancel-requested.v1',
  /** executor → every worker (broadcast): stop this execution if you run it, and never start it. */
  ExecutionCancel: 'execution.cancel.v1',
  /** api → executor: a user answered an inquiry (the answer already checked against its schema). */
  ExecutionInquiryResponse: 'execution.inquiry-response.v1',
  /** worker → artifact-store: a bounded piece of an execution's stdout or stderr, for live tails. */
  ExecutionLog: 'execution.log.v1',
  /** api → artifact-store (request/reply): a worker uploaded an execution's whole log; make it the log artifact's version. */
  ExecutionLogCommit: 'execution.log-commit.v1',
  WorkerHeartbeat: 'worker.heartbeat.v1',
  /** api (webhook, POST /events) or executor (timer tick) → executor: an event was recorded; match rules. */
  EventCreated: 'event.created.v1',
  /** api → artifact-store commands, sent by request/reply (the reply carries the result or a DomainError). */
  ArtifactCreate: 'artifact.create.v1',
  ArtifactUpdate: 'artifact.update.v1',
  ArtifactDelete: 'artifact.delete.v1',
  ArtifactProgressAppend: 'artifact.progress-append.v1',
  ArtifactCommit: 'artifact.commit.v1',
  /** A direct upload (presigned PUT) to verify and commit. */
  ArtifactDirectCommit: 'artifact.direct-commit.v1',
  ArtifactVersionDelete: 'artifact.version-delete.v1',
  ArtifactCleanup: 'artifact.cleanup.v1',
  /** api → executor (request/reply): POST /api/v1/executions/cleanup. */
  ExecutionCleanup: 'execution.cleanup.v1',
  /** executor → artifact-store (request/reply): purge the logs of executions retention removes. */
  ArtifactExecutionLogsPurge: 'artifact.execution-logs-purge.v1',
} as const;
export type MessageType = (typeof MessageTypes)[keyof typeof MessageTypes];

/** Topic exchanges, one per domain. The exchange of a message is the plural of its prefix. */
export const Exchanges = {
  executions: 'executions',
  events: 'events',
  artifacts: 'artifacts',
  workers: 'workers',
} as const;

export function exchangeOf(type: string): string {
  const domain = type.split('.')[0];
  const exchange = `${domain}s`;
  if (!(Object.values(Exchanges) as string[]).includes(exchange)) {
    throw new Error(`message type ${type} belongs to no known exchange`);
  }
  return exchange;
}

export function versionOf(type: string): number {
  const m = /\.v(\d+)$/.exec(type);
  if (!m) throw new Error(`message type ${type} carries no version suffix`);
  return Number(m[1]);
}

/**
 * Routing key of a dispatch. Workers of a pool that have the same runtimes compete on one queue
 * bound to `execution.dispatch.v1.<pool>.<runtime set>` (see runtimeSetKey); the executor picks
 * the set among live workers that have the action's runtime. Without a set: the pool-wide key.
 */
export function dispatchRoutingKey(pool: string, runtimeSet?: string): string {
  return runtimeSet ? `${MessageTypes.ExecutionDispatch}.${pool}.${runtimeSet}` : `${MessageTypes.ExecutionDispatch}.${pool}`;
}

/** The short name of the shared work queue of a pool's workers that have the runtime set. */
export function workerQueueName(pool: string, runtimeSet: string): string {
  return `worker.${pool}.${runtimeSet}`;
}

export class ExecutionRequestedV1 {
  @IsInt() @Min(1) execution_id!: number;
}

export class ActionSnapshotV1 implements ActionSnapshot {
  @IsString() @IsNotEmpty() ref!: string;
  @IsString() @IsNotEmpty() pack_ref!: string;
  @IsIn(RUNTIMES) runtime!: Runtime;
  @IsString() @IsNotEmpty() entrypoint!: string;
  @IsBoolean() inline!: boolean;
  @IsIn(OUTPUT_FORMATS) output_format!: OutputFormat;
  @IsString({ each: true }) secret_parameters!: string[];
  @IsOptional() @IsIn(WORKER_LOST_POLICIES) on_worker_lost?: WorkerLostPolicy;
  @IsOptional() @Matches(PACK_DIGEST_PATTERN) pack_digest?: string;
  @IsOptional() @IsInt() @Min(1) max_log_bytes?: number;
}

/**
 * Where a child execution sits in a workflow run (the contract's `workflow_task`): set by the
 * executor's workflow engine on each task run, carried to the worker in the dispatch.
 */
export class WorkflowTaskRefV1 implements WorkflowTaskRef {
  @IsInt() @Min(1) workflow_execution!: number;
  @IsString() @IsNotEmpty() task_name!: string;
  @IsOptional() @IsInt() @Min(0) task_index?: number;
  @IsInt() @Min(1) attempt!: number;
}

/** A file an action or task leaves for the platform to keep (the contract's "Task artifacts"). */
export class ArtifactDeclarationV1 {
  /** Relative to the work directory; globs allowed. */
  @IsString() @IsNotEmpty() path!: string;
  @IsOptional() @IsString() @IsNotEmpty() name?: string;
  @IsOptional() @IsIn(ARTIFACT_TYPES) type?: ArtifactType;
  @IsOptional() @IsBoolean() required?: boolean;
  @IsOptional() @IsIn(['always', 'success']) when?: 'always' | 'success';
}

/** A workflow's `config` for the artifacts of its run, as the worker needs it. */
export class ArtifactRunConfigV1 {
  @IsBoolean() verify_checksums!: boolean;
  @IsBoolean() artifact_compression!: boolean;
  @IsOptional() @IsIn(RETENTION_POLICIES) retention_policy?: RetentionPolicy;
  @IsOptional() @IsInt() @Min(1) retention_limit?: number;
}

export class ExecutionDispatchV1 {
  @IsInt() @Min(1) execution_id!: number;
  @ValidateNested() @Type(() => ActionSnapshotV1) action!: ActionSnapshotV1;
  @IsObject() parameters!: Record<string, unknown>;
  @IsObject() env_vars!: Record<string, string>;
  @IsInt() @Min(1) timeout_seconds!: number;
  /** Short-lived execution token (JWT) handed to the process as ATTUNE_API_TOKEN. */
  @IsString() @IsNotEmpty() token!: string;
  /**
   * 1 for the first dispatch; a re-dispatch after a lost worker counts up. Reports carry it
   * back, so a late report from an earlier attempt never overwrites the current one.
   */
  @IsOptional() @IsInt() @Min(1) attempt?: number;
  /**
   * The worker's own credential for storing this attempt's logs (PUT …/logs/{stream}); never
   * handed to the process. Absent only from dispatches of executors older than the log upload.
   */
  @IsOptional() @IsString() @IsNotEmpty() log_token?: string;
  /** Set when the execution is a task of a workflow run. */
  @IsOptional() @ValidateNested() @Type(() => WorkflowTaskRefV1) workflow_task?: WorkflowTaskRefV1;
  /** Files to keep after the process ends: the action's declarations, then the task's. */
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => ArtifactDeclarationV1) artifacts?: ArtifactDeclarationV1[];
  /** Artifacts of the same workflow run to download into the work directory before the process starts. */
  @IsOptional() @IsArray() @IsString({ each: true }) consumes?: string[];
  @IsOptional() @ValidateNested() @Type(() => ArtifactRunConfigV1) artifact_config?: ArtifactRunConfigV1;
}

export class ExecutionCancelRequestedV1 {
  @IsInt() @Min(1) execution_id!: number;
}

/**
 * The executor's answer to ExecutionCancelRequestedV1, once its guarded transition is committed:
 * the status it left the execution in (`cancelled` when it had not started, `canceling` while a
 * worker stops it, or the terminal status it had reached first).
 */
export interface ExecutionCancelReplyV1 {
  execution_id: number;
  status: ExecutionStatus;
}

export const LOG_STREAMS = ['stdout', 'stderr'] as const;
export type LogStreamName = (typeof LOG_STREAMS)[number];
/** Raw bytes per log chunk at most; base64 in the message makes it about a third larger. */
export const MAX_LOG_CHUNK_BYTES = 256 * 1024;

/**
 * One chunk of an execution's live output, in order (`seq` from 0, `offset` in bytes). Chunks
 * serve live tails and keep the part of a log written before a worker was lost; the complete
 * log is stored by the worker's upload (ExecutionLogCommitV1), which supersedes them. Workers
 * before the upload sent `eof` with the stream's totals on the last chunk.
 */
export class ExecutionLogV1 {
  @IsInt() @Min(1) execution_id!: number;
  @IsInt() @Min(1) attempt!: number;
  @IsIn(LOG_STREAMS) stream!: LogStreamName;
  @IsInt() @Min(0) seq!: number;
  @IsInt() @Min(0) offset!: number;
  /** The chunk's bytes, base64; may be empty on the final chunk. */
  @IsString() @MaxLength(Math.ceil(MAX_LOG_CHUNK_BYTES / 3) * 4 + 4) data!: string;
  @IsOptional() @IsBoolean() eof?: boolean;
  /** On `eof`: bytes in the whole stream and their SHA-256 (hex). */
  @IsOptional() @IsInt() @Min(0) total_bytes?: number;
  @IsOptional() @IsString() sha256?: string;
  /** On `eof`: the stream hit its size cap and ends with a truncation marker. */
  @IsOptional() @IsBoolean() truncated?: boolean;
}

/** api → artifact-store: commit an uploaded, complete execution log (one stream of one attempt). */
export class ExecutionLogCommitV1 {
  @IsInt() @Min(1) execution_id!: number;
  @IsInt() @Min(1) attempt!: number;
  @IsIn(LOG_STREAMS) stream!: LogStreamName;
  @IsString() @IsNotEmpty() staged_key!: string;
  @IsInt() @Min(1) size_bytes!: number;
  @Matches(/^[0-9a-f]{64}$/) sha256!: string;
  /** The stream hit its size cap and ends with a truncation marker. */
  @IsBoolean() truncated!: boolean;
}

/** artifact-store's answer to ExecutionLogCommitV1. */
export interface ExecutionLogCommittedV1 {
  execution_id: number;
  stream: LogStreamName;
  artifact_id: number;
  version: number;
  size_bytes: number;
  sha256: string;
}

export class ExecutionCancelV1 {
  @IsInt() @Min(1) execution_id!: number;
}

export class ExecutionStartedV1 {
  @IsInt() @Min(1) execution_id!: number;
  /** Which dispatch of the execution this reports on (see ExecutionDispatchV1.attempt). */
  @IsOptional() @IsInt() @Min(1) attempt?: number;
  @IsString() @IsNotEmpty() worker!: string;
  @IsISO8601() started_at!: string;
}

/**
 * A worker's claim on a dispatch, made before every run (a dispatch can exist twice: redelivered
 * by the broker, or published again after an executor crash). The attempt is the fencing token: the executor moves the
 * execution to `running` for this worker only from `scheduling`/`scheduled` on that attempt, in
 * one guarded UPDATE, so of two workers holding copies of one dispatch at most one runs it.
 */
export class ExecutionClaimV1 extends ExecutionStartedV1 {}

/** The executor's answer to ExecutionClaimV1: `granted` means run it; `status` is the execution's status when refused. */
export interface ExecutionClaimReplyV1 {
  granted: boolean;
  status?: string;
}

export const FINISHED_STATUSES = ['completed', 'failed', 'timeout', 'cancelled'] as const;
export type FinishedStatus = (typeof FINISHED_STATUSES)[number];

/** The result capture event: published by the worker once the process has ended. */
export class ExecutionFinishedV1 {
  @IsInt() @Min(1) execution_id!: number;
  @IsOptional() @IsInt() @Min(1) attempt?: number;
  @IsString() @IsNotEmpty() worker!: string;
  @IsIn(FINISHED_STATUSES) status!: FinishedStatus;
  @IsObject() result!: ExecutionResult;
  @IsISO8601() started_at!: string;
  @IsISO8601() finished_at!: string;
}

/** An answer to a `core.inquiry` execution's inquiry; the executor records it and completes the execution. */
export class ExecutionInquiryResponseV1 {
  @IsInt() @Min(1) inquiry_id!: number;
  @IsInt() @Min(1) execution_id!: number;
  @IsObject() response!: Record<string, unknown>;
  @IsString() @IsNotEmpty() responded_by!: string;
}

/** Announces an event already recorded in Postgres; the executor matches it against rules. */
export class EventCreatedV1 {
  @IsInt() @Min(1) event_id!: number;
}

/**
 * A worker's status in the `workers` table, as the executor decides it: what its last heartbeat
 * said (`online`, `draining`, `offline`), or `stale` once it has been silent for the executor's
 * ATTUNE_EXECUTOR_WORKER_LOST_AFTER_MS. Only an `online` worker gets new work.
 */
export const WORKER_STATUSES = ['online', 'draining', 'offline', 'stale'] as const;
export type WorkerStatus = (typeof WORKER_STATUSES)[number];

export class WorkerHeartbeatV1 {
  @IsString() @IsNotEmpty() worker!: string;
  @IsString() @IsNotEmpty() hostname!: string;
  @IsString() @IsNotEmpty() pool!: string;
  @IsIn(RUNTIMES, { each: true }) runtimes!: Runtime[];
  @IsInt() @Min(0) running!: number;
  @IsInt() @Min(1) capacity!: number;
  @IsIn(['online', 'draining', 'offline']) status!: 'online' | 'draining' | 'offline';
  @IsISO8601() timestamp!: string;
  @IsOptional() @IsString() version?: string;
}

/** The payload class of every message type, used to validate a message where it is consumed. */
export const PAYLOAD_CLASSES: Readonly<Record<MessageType, new () => object>> = {
  [MessageTypes.ExecutionRequested]: ExecutionRequestedV1,
  [MessageTypes.ExecutionDispatch]: ExecutionDispatchV1,
  [MessageTypes.ExecutionStarted]: ExecutionStartedV1,
  [MessageTypes.ExecutionFinished]: ExecutionFinishedV1,
  [MessageTypes.ExecutionClaim]: ExecutionClaimV1,
  [MessageTypes.ExecutionCancelRequested]: ExecutionCancelRequestedV1,
  [MessageTypes.ExecutionCancel]: ExecutionCancelV1,
  [MessageTypes.ExecutionInquiryResponse]: ExecutionInquiryResponseV1,
  [MessageTypes.ExecutionLog]: ExecutionLogV1,
  [MessageTypes.ExecutionLogCommit]: ExecutionLogCommitV1,
  [MessageTypes.WorkerHeartbeat]: WorkerHeartbeatV1,
  [MessageTypes.EventCreated]: EventCreatedV1,
  [MessageTypes.ArtifactCreate]: ArtifactCreateV1,
  [MessageTypes.ArtifactUpdate]: ArtifactUpdateV1,
  [MessageTypes.ArtifactDelete]: ArtifactDeleteV1,
  [MessageTypes.ArtifactProgressAppend]: ArtifactProgressAppendV1,
  [MessageTypes.ArtifactCommit]: ArtifactCommitV1,
  [MessageTypes.ArtifactDirectCommit]: ArtifactDirectCommitV1,
  [MessageTypes.ArtifactVersionDelete]: ArtifactVersionDeleteV1,
  [MessageTypes.ArtifactCleanup]: ArtifactCleanupV1,
  [MessageTypes.ExecutionCleanup]: ExecutionCleanupV1,
  [MessageTypes.ArtifactExecutionLogsPurge]: ExecutionLogsPurgeV1,
};
