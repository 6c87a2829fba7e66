import { DomainError } from '@attune/contracts';
import { type ActionEntity, ActionRepository } from '@attune/persistence';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ApiDataResponse, ApiErrors, ApiPaginatedResponse } from '../common/openapi.decorators';
import { IsOptional, IsString } from 'class-validator';
import { PageQuery, paginated, type Paginated } from '../common/pagination';

export class ActionListQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() pack_ref?: string;
}

export class ActionDto {
  @ApiProperty() id!: number;
  @ApiProperty() ref!: string;
  @ApiProperty() pack_ref!: string;
  @ApiProperty() label!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ enum: ['shell', 'python', 'node'] }) runtime!: string;
  @ApiProperty() entrypoint!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) param_schema!: Record<string, unknown>;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true }) out_schema!: Record<string, unknown> | null;
  @ApiProperty({ enum: ['text', 'json', 'jsonl', 'yaml'] }) output_format!: string;
  @ApiPropertyOptional({ nullable: true, type: Number }) timeout_seconds!: number | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty() created!: string;
  @ApiProperty() updated!: string;
}

export function toActionDto(a: ActionEntity): ActionDto {
  return {
    id: a.id,
    ref: a.ref,
    pack_ref: a.packRef,
    label: a.label,
    description: a.description,
    runtime: a.runtime,
    entrypoint: a.entrypoint,
    param_schema: a.paramSchema,
    out_schema: a.outSchema,
    output_format: a.outputFormat,
    timeout_seconds: a.timeoutSeconds,
    enabled: a.enabled,
    created: a.created.toISOString(),
    updated: a.updated.toISOString(),
  };
}

@ApiTags('actions')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('api/v1/actions')
export class ActionsController {
  constructor(private readonly actions: ActionRepository) {}

  @Get()
  @ApiPaginatedResponse(ActionDto)
  async list(@Query() q: ActionListQuery): Promise<Paginated<ActionDto>> {
    const { items, total } = await this.actions.list({ packRef: q.pack_ref }, q.page, q.per_page);
    return paginated(items.map(toActionDto), total, q);
  }

  @Get(':ref')
  @ApiDataResponse(ActionDto)
  @ApiErrors(404)
  async get(@Param('ref') ref: string): Promise<{ data: ActionDto }> {
    const action = await this.actions.findByRef(ref);
    if (!action) throw new DomainError('NOT_FOUND', `action "${ref}" not found`);
    return { data: toActionDto(action) };
  }
}
