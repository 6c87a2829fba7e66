import { IsIdFilter } from '../common/id.pipe';
import { EXECUTION_STATUSES, type ExecutionStatus } from '@attune/contracts';
import type { ExecutionEntity } from '@attune/persistence';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import { PageQuery } from '../common/pagination';

export class ExecuteDto {
  @ApiProperty({ example: 'core.echo' })
  @IsString() @IsNotEmpty() @MaxLength(255) @Matches(/^[a-z0-9][a-z0-9_-]*\.[A-Za-z0-9_.-]+$/, { message: 'action_ref must look like pack.name' })
  action_ref!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { message: 'hello, world' } })
  @IsOptional() @IsObject()
  parameters?: Record<string, unknown>;

  @ApiPropertyOptional({ minimum: 1, description: 'Overrides the action timeout' })
  @IsOptional() @IsInt() @Min(1)
  timeout_seconds?: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'Extra environment variables for the process' })
  @IsOptional() @IsObject()
  env_vars?: Record<string, string>;
}

export class ExecutionListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: EXECUTION_STATUSES }) @IsOptional() @IsIn(EXECUTION_STATUSES) status?: ExecutionStatus;
  @ApiPropertyOptional() @IsOptional() @IsString() action_ref?: string;
  @ApiPropertyOptional() @IsOptional() @IsIdFilter() parent?: number;
  @ApiPropertyOptional() @IsOptional() @IsIdFilter() enforcement?: number;
}

export class ExecutionResultDto {
  @ApiPropertyOptional({ nullable: true, type: Number }) exit_code!: number | null;
  @ApiProperty() succeeded!: boolean;
  @ApiProperty() duration_ms!: number;
  @ApiProperty({ description: 'Preview of standard output' }) stdout!: string;
  @ApiProperty() stdout_truncated!: boolean;
  @ApiPropertyOptional({ description: 'Preview of standard error, when non-empty' }) stderr?: string;
  @ApiPropertyOptional() stderr_truncated?: boolean;
  @ApiPropertyOptional({ description: 'Parsed output when output_format is not text' }) data?: unknown;
  @ApiPropertyOptional({ example: 'Command exited with code 1' }) error?: string;
  @ApiPropertyOptional() timed_out?: boolean;
  @ApiPropertyOptional() cancelled?: boolean;
  @ApiPropertyOptional({ description: 'Signal that ended the process, if any' }) signal?: string;
}

export class ExecutionDto {
  @ApiProperty() id!: number;
  @ApiPropertyOptional({ nullable: true, type: Number }) action!: number | null;
  @ApiProperty() action_ref!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The parameters after defaults' }) config!: Record<string, unknown>;
  @ApiPropertyOptional({ nullable: true, type: Number }) parent!: number | null;
  @ApiPropertyOptional({ nullable: true, type: Number }) enforcement!: number | null;
  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Identity that requested it' }) executor!: number | null;
  @ApiPropertyOptional({ nullable: true, type: String }) worker!: string | null;
  @ApiProperty({ enum: EXECUTION_STATUSES }) status!: ExecutionStatus;
  @ApiPropertyOptional({ nullable: true, type: ExecutionResultDto }) result!: ExecutionResultDto | null;
  @ApiProperty() timeout_seconds!: number;
  @ApiProperty({ description: 'Dispatch attempt: 1, then +1 for each re-dispatch after a lost worker' }) attempt!: number;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'Why a `scheduled` execution waits instead of running, e.g. no live worker has its runtime; null once dispatched',
  })
  waiting_reason!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'SHA-256 of the pack archive the run uses (null for inline actions)' })
  pack_digest!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) started_at!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) finished_at!: string | null;
  @ApiProperty() created!: string;
  @ApiProperty() updated!: string;
}

export class ExecutionResponse {
  @ApiProperty({ type: ExecutionDto }) data!: ExecutionDto;
}

export function toExecutionDto(e: ExecutionEntity): ExecutionDto {
  return {
    id: e.id,
    action: e.action,
    action_ref: e.actionRef,
    config: e.config,
    parent: e.parent,
    enforcement: e.enforcement,
    executor: e.executor,
    worker: e.worker,
    status: e.status,
    result: e.result as ExecutionResultDto | null,
    timeout_seconds: e.timeoutSeconds,
    attempt: e.attempt,
    waiting_reason: e.waitingReason ?? null,
    pack_digest: e.packDigest ?? null,
    started_at: e.startedAt ? new Date(e.startedAt).toISOString() : null,
    finished_at: e.finishedAt ? new Date(e.finishedAt).toISOString() : null,
    created: new Date(e.created).toISOString(),
    updated: new Date(e.updated).toISOString(),
  };
}
