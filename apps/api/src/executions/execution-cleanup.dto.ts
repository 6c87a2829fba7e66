import { DURATION_PATTERN, type ExecutionStatus, TERMINAL_STATUSES } from '@attune/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsOptional, IsString, Matches } from 'class-validator';

export class ExecutionCleanupDto {
  @ApiProperty({ example: '90d', description: 'Age: 45s, 15m, 6h, 30d or 2w. Executions created and last changed before now − older_than go' })
  @IsString() @Matches(DURATION_PATTERN, { message: 'older_than must look like 30d, 6h, 15m or 45s' })
  older_than!: string;

  @ApiPropertyOptional({
    oneOf: [{ type: 'string', enum: [...TERMINAL_STATUSES] }, { type: 'array', items: { type: 'string', enum: [...TERMINAL_STATUSES] } }],
    description: 'Only executions with this terminal status (or one of these); running and other unfinished ones are never deleted',
  })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? [value] : value))
  @IsArray() @IsIn(TERMINAL_STATUSES, { each: true, message: `status must be a terminal status: ${TERMINAL_STATUSES.join(', ')}` })
  status?: ExecutionStatus[];

  @ApiPropertyOptional({ default: false, description: 'Report what would be deleted, delete nothing' })
  @IsOptional() @IsBoolean()
  dry_run?: boolean;
}

export class ExecutionCleanupItemDto {
  @ApiProperty() id!: number;
  @ApiProperty() action_ref!: string;
  @ApiProperty({ enum: TERMINAL_STATUSES }) status!: ExecutionStatus;
  @ApiProperty() created!: string;
}

export class ExecutionCleanupReportDto {
  @ApiProperty() dry_run!: boolean;
  @ApiProperty() older_than!: string;
  @ApiProperty() cutoff!: string;
  @ApiProperty({ description: 'Executions deleted (or that would be)' }) deleted_executions!: number;
  @ApiProperty({ description: 'Their log artifacts (stdout/stderr), deleted with them' }) deleted_log_artifacts!: number;
  @ApiProperty({ type: [ExecutionCleanupItemDto], description: 'The first 1000, oldest first' }) items!: ExecutionCleanupItemDto[];
  @ApiProperty({ description: 'More were deleted than items lists' }) items_truncated!: boolean;
}
