import { DomainError } from '@attune/contracts';
import { type PackEntity, PackRepository } from '@attune/persistence';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ApiDataResponse, ApiErrors, ApiPaginatedResponse } from '../common/openapi.decorators';
import { PageQuery, paginated, type Paginated } from '../common/pagination';

export class PackDto {
  @ApiProperty() id!: number;
  @ApiProperty() ref!: string;
  @ApiProperty() label!: string;
  @ApiProperty() version!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) description!: string | null;
  @ApiProperty() is_standard!: boolean;
  @ApiProperty() created!: string;
  @ApiProperty() updated!: string;
}

export function toPackDto(p: PackEntity): PackDto {
  return {
    id: p.id,
    ref: p.ref,
    label: p.label,
    version: p.version,
    description: p.description,
    is_standard: p.isStandard,
    created: p.created.toISOString(),
    updated: p.updated.toISOString(),
  };
}

@ApiTags('packs')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('api/v1/packs')
export class PacksController {
  constructor(private readonly packs: PackRepository) {}

  @Get()
  @ApiPaginatedResponse(PackDto)
  async list(@Query() q: PageQuery): Promise<Paginated<PackDto>> {
    const { items, total } = await this.packs.list(q.page, q.per_page);
    return paginated(items.map(toPackDto), total, q);
  }

  @Get(':ref')
  @ApiDataResponse(PackDto)
  @ApiErrors(404)
  async get(@Param('ref') ref: string): Promise<{ data: PackDto }> {
    const pack = await this.packs.findByRef(ref);
    if (!pack) throw new DomainError('NOT_FOUND', `pack "${ref}" not found`);
    return { data: toPackDto(pack) };
  }
}
