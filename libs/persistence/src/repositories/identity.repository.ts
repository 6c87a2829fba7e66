import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { IdentityEntity } from '../entities/identity.entity';

@Injectable()
export class IdentityRepository {
  constructor(@InjectRepository(IdentityEntity) private readonly repo: Repository<IdentityEntity>) {}

  findByLogin(login: string): Promise<IdentityEntity | null> {
    return this.repo.findOneBy({ login });
  }

  findById(id: number): Promise<IdentityEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** Creates the identity when missing; an existing one keeps its password and roles. */
  async ensure(input: Pick<IdentityEntity, 'login' | 'displayName' | 'passwordHash' | 'roles'>): Promise<IdentityEntity> {
    await this.repo
      .createQueryBuilder()
      .insert()
      .into(IdentityEntity)
      .values(input)
      .orIgnore()
      .execute();
    return this.repo.findOneByOrFail({ login: input.login });
  }

  async updatePassword(id: number, passwordHash: string): Promise<void> {
    await this.repo.update({ id }, { passwordHash });
  }
}
