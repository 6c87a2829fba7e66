import { type EnforcementFilter, EnforcementRepository, type ListPage, type ListRequest } from '@attune/persistence';
import { Injectable } from '@nestjs/common';
import { type EnforcementDto, toEnforcementDto } from './enforcement.dto';
import { found } from '../common/found';

/** Enforcements are the executor's; the api only reads them. */
@Injectable()
export class EnforcementsService {
  constructor(private readonly enforcements: EnforcementRepository) {}

  async get(id: number): Promise<EnforcementDto> {
    const e = found(await this.enforcements.findById(id), `enforcement ${id}`);
    const executions = await this.enforcements.executionIds([id]);
    return toEnforcementDto(e, executions.get(id) ?? []);
  }

  async list(filter: EnforcementFilter, req: ListRequest): Promise<ListPage<EnforcementDto>> {
    const page = await this.enforcements.list(filter, req);
    const executions = await this.enforcements.executionIds(page.items.map((e) => e.id));
    return { ...page, items: page.items.map((e) => toEnforcementDto(e, executions.get(e.id) ?? [])) };
  }
}
