import { DomainError } from '@attune/contracts';
import { type EnforcementFilter, EnforcementRepository } from '@attune/persistence';
import { Injectable } from '@nestjs/common';
import { type EnforcementDto, toEnforcementDto } from './enforcement.dto';

/** Enforcements are the executor's; the api only reads them. */
@Injectable()
export class EnforcementsService {
  constructor(private readonly enforcements: EnforcementRepository) {}

  async get(id: number): Promise<EnforcementDto> {
    const e = await this.enforcements.findById(id);
    if (!e) throw new DomainError('NOT_FOUND', `enforcement ${id} not found`);
    const executions = await this.enforcements.executionIds([id]);
    return toEnforcementDto(e, executions.get(id) ?? []);
  }

  async list(filter: EnforcementFilter, page: number, perPage: number): Promise<{ items: EnforcementDto[]; total: number }> {
    const { items, total } = await this.enforcements.list(filter, page, perPage);
    const executions = await this.enforcements.executionIds(items.map((e) => e.id));
    return { items: items.map((e) => toEnforcementDto(e, executions.get(e.id) ?? [])), total };
  }
}
