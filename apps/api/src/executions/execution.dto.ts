import { IsIdFilter } from '../common/id.pipe';
import { EXECUTION_STATUSES, type ExecutionStatus } from '@attune/contracts';
import type { ExecutionEntity } from '@attune/persistence';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsISO8601, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import { CursorPageQuery } from '../common/pagination';
import { isoOrNull, timestamps } from '../common/records';
import { OptionalJsonObject } from '../common/field.decorators';

export class ExecuteDto {
  @ApiProperty({ example: 'core.echo' })
  @IsString() @IsNotEmpty() @MaxLength(255) @Matches(/^[a-z0-9][a-z0-9_-]*\.[A-Za-z0-9_.-]+$/, { message: 'action_ref must look like pack.name' })
  action_ref!: string;

  @OptionalJsonObject({ example: { message: 'hello, world' } })
  parameters?: Record<string, unknown>;

  @ApiPropertyOptional({ minimum: 1, description: 'Overrides the action timeout' })
  @IsOptional() @IsInt() @Min(1)
  timeout_seconds?: number;

  @OptionalJsonObject({ additionalProperties: { type: 'string' }, description: 'Extra environment variables for the process' })
  env_vars?: Record<string, string>;
}

export class ExecutionListQuery extends CursorPageQuery {
  @ApiPropertyOptional({ enum: EXECUTION_STATUSES }) @IsOptional() @IsIn(EXECUTION_STATUSES) status?: ExecutionStatus;
  @ApiPropertyOptional() @IsOptional() @IsString() action_ref?: string;
  @ApiPropertyOptional({ description: 'Only the tasks of this workflow run' }) @IsOptional() @IsIdFilter() parent?: number;
  @ApiPropertyOptional({ description: 'Only the executions this enforcement (a rule firing) created' }) @IsOptional() @IsIdFilter() enforcement?: number;
  @ApiPropertyOptional({ example: 'test@attune.local', description: 'Only executions started by this login (a user, or an API key of theirs); case-insensitive' })
  @IsOptional() @IsString() @MaxLength(255) executor_login?: string;
  @ApiPropertyOptional({ example: '2026-01-01T00:00:00Z', description: 'Only executions created after this instant' }) @IsOptional() @IsISO8601() created_after?: string;
  @ApiPropertyOptional({ example: '2026-01-02T00:00:00Z', description: 'Only executions created before this instant' }) @IsOptional() @IsISO8601() created_before?: string;
}

export class KeptArtifactDto {
  @ApiProperty({ description: 'The file\'s name' }) name!: string;
  @ApiProperty({ description: 'The file, relative to the work directory' }) path!: string;
  @ApiProperty() artifact!: number;
  @ApiProperty() ref!: string;
  @ApiProperty() version!: number;
  @ApiProperty() size_bytes!: number;
  @ApiProperty() sha256!: string;
}

export class ExecutionResultDto {
  @ApiProperty({ nullable: true, type: Number }) exit_code!: number | null;
  @ApiProperty() succeeded!: boolean;
  @ApiProperty() duration_ms!: number;
  @ApiProperty({ description: 'Preview of standard output' }) stdout!: string;
  @ApiProperty() stdout_truncated!: boolean;
  @ApiPropertyOptional({ description: 'Preview of standard error, when non-empty' }) stderr?: string;
  @ApiPropertyOptional() stderr_truncated?: boolean;
  @ApiPropertyOptional({ description: 'API path of the full stdout (present when the process wrote any)' }) stdout_log?: string;
  @ApiPropertyOptional({ description: 'API path of the full stderr (present when the process wrote any)' }) stderr_log?: string;
  @ApiPropertyOptional({ description: 'The full log hit its size cap and ends with a truncation marker' }) stdout_log_truncated?: boolean;
  @ApiPropertyOptional() stderr_log_truncated?: boolean;
  @ApiPropertyOptional({ description: 'Bytes of the stored log: a full read of stdout_log returns exactly these' }) stdout_log_bytes?: number;
  @ApiPropertyOptional({ description: 'SHA-256 (hex) of the stored log' }) stdout_log_sha256?: string;
  @ApiPropertyOptional() stderr_log_bytes?: number;
  @ApiPropertyOptional() stderr_log_sha256?: string;
  @ApiPropertyOptional({ description: 'Only part of the log is stored (the worker was lost mid-run, or storing it failed)' }) stdout_log_incomplete?: boolean;
  @ApiPropertyOptional() stderr_log_incomplete?: boolean;
  @ApiPropertyOptional({ description: 'Parsed output when output_format is not text' }) data?: unknown;
  @ApiPropertyOptional({ type: [KeptArtifactDto], description: 'Files kept as artifacts after the run: each one\'s stored version' }) artifacts?: KeptArtifactDto[];
  @ApiPropertyOptional({ type: [String], description: 'Declared optional artifacts the run did not produce (their declared path)' }) artifacts_missing?: string[];
  @ApiPropertyOptional({ example: 'Command exited with code 1' }) error?: string;
  @ApiPropertyOptional() timed_out?: boolean;
  @ApiPropertyOptional() cancelled?: boolean;
  @ApiPropertyOptional({ description: 'Signal that ended the process, if any' }) signal?: string;
  @ApiPropertyOptional({ description: 'A workflow run\'s output_map, rendered' }) output?: unknown;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'A workflow run\'s tasks: {<name>: {status, execution, items?}}' }) tasks?: Record<string, unknown>;
}

export class WorkflowTaskRefDto {
  @ApiProperty({ description: 'The parent execution: the workflow run' }) workflow_execution!: number;
  @ApiProperty({ example: 'build' }) task_name!: string;
  @ApiPropertyOptional({ description: 'The item\'s index for a with_items task' }) task_index?: number;
  @ApiProperty({ description: '1 for the first run of the task (item); each retry counts up' }) attempt!: number;
}

export class ExecutionDto {
  @ApiProperty() id!: number;
  @ApiProperty({ nullable: true, type: Number }) action!: number | null;
  @ApiProperty() action_ref!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The parameters after defaults' }) config!: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: Number }) parent!: number | null;
  @ApiProperty({ nullable: true, type: WorkflowTaskRefDto, description: 'Where a workflow\'s child execution sits in its run; null for other executions' })
  workflow_task!: WorkflowTaskRefDto | null;
  @ApiProperty({ nullable: true, type: Number }) enforcement!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Identity that requested it' }) executor!: number | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'test@attune.local',
    description: 'Login of who started it: the user, or the owner of the API key used; null for runs of rules and timers (see `enforcement`)',
  })
  executor_login!: string | null;
  @ApiProperty({ nullable: true, type: String }) worker!: string | null;
  @ApiProperty({ enum: EXECUTION_STATUSES }) status!: ExecutionStatus;
  @ApiProperty({ nullable: true, type: ExecutionResultDto }) result!: ExecutionResultDto | null;
  @ApiProperty() timeout_seconds!: number;
  @ApiProperty({ description: 'Dispatch attempt: 1, then +1 for each re-dispatch after a lost worker' }) attempt!: number;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Why a `scheduled` execution waits instead of running, e.g. no live worker has its runtime; null once dispatched',
  })
  waiting_reason!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'SHA-256 of the pack archive the run uses (null for inline actions)' })
  pack_digest!: string | null;
  @ApiProperty({ nullable: true, type: String }) started_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) finished_at!: string | null;
  @ApiProperty() created!: string;
  @ApiProperty() updated!: string;
}

export class ExecutionResponse {
  @ApiProperty({ type: ExecutionDto }) data!: ExecutionDto;
}

/** An execution with the login of who started it, as the API shows it. */
export type ExecutionView = ExecutionEntity & { executorLogin: string | null };

export function toExecutionDto(e: ExecutionView): ExecutionDto {
  return {
    id: e.id,
    action: e.action,
    action_ref: e.actionRef,
    config: e.config,
    parent: e.parent,
    workflow_task: e.workflowTask ?? null,
    enforcement: e.enforcement,
    executor: e.executor,
    executor_login: e.executorLogin,
    worker: e.worker,
    status: e.status,
    result: e.result as ExecutionResultDto | null,
    timeout_seconds: e.timeoutSeconds,
    attempt: e.attempt,
    waiting_reason: e.waitingReason ?? null,
    pack_digest: e.packDigest ?? null,
    started_at: isoOrNull(e.startedAt),
    finished_at: isoOrNull(e.finishedAt),
    ...timestamps(e),
  };
}
