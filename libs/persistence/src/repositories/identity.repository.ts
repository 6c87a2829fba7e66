import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { IdentityEntity } from '../entities/identity.entity';

export type NewIdentity = Pick<IdentityEntity, 'login' | 'displayName' | 'passwordHash' | 'roles'>;
export type IdentityPatch = Partial<Pick<IdentityEntity, 'displayName' | 'passwordHash' | 'roles' | 'isActive' | 'tokensValidAfter'>>;

/** Raised inside a transaction when a change would leave no active administrator. */
class LastAdminError extends Error {}

// One lock for every change that can remove an administrator, so two concurrent demotions
// cannot each see the other as the remaining admin.
const ADMIN_LOCK = `SELECT pg_advisory_xact_lock(hashtext('attune.identities.admins'))`;

@Injectable()
export class IdentityRepository {
  constructor(@InjectRepository(IdentityEntity) private readonly repo: Repository<IdentityEntity>) {}

  /** Logins are case-insensitive (unique index on lower(login)). */
  findByLogin(login: string): Promise<IdentityEntity | null> {
    return this.repo.createQueryBuilder('i').where('lower(i.login) = lower(:login)', { login }).getOne();
  }

  /** Active administrators, for the start-up check of their passwords. */
  listActiveAdmins(): Promise<IdentityEntity[]> {
    return this.repo.createQueryBuilder('i').where(`i.is_active AND 'admin' = ANY(i.roles)`).orderBy('i.id').getMany();
  }

  findById(id: number): Promise<IdentityEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** The logins of these identities, by id (ids without an identity are absent). */
  async loginsOf(ids: number[]): Promise<Map<number, string>> {
    if (!ids.length) return new Map();
    const rows = (await this.repo.query(`SELECT id, login FROM identities WHERE id = ANY($1::bigint[])`, [ids])) as Array<{ id: number; login: string }>;
    return new Map(rows.map((r) => [Number(r.id), r.login]));
  }

  async list(page: number, perPage: number): Promise<{ items: IdentityEntity[]; total: number }> {
    const [items, total] = await this.repo.findAndCount({ order: { id: 'ASC' }, skip: (page - 1) * perPage, take: perPage });
    return { items, total };
  }

  /** Creates the identity when missing; an existing one keeps its password and roles. */
  async ensure(input: NewIdentity): Promise<IdentityEntity> {
    await this.repo.createQueryBuilder().insert().into(IdentityEntity).values(input).orIgnore().execute();
    const found = await this.findByLogin(input.login);
    if (!found) throw new Error(`identity "${input.login}" could not be created`);
    return found;
  }

  /** Answers null when the login is taken. */
  async create(input: NewIdentity): Promise<IdentityEntity | null> {
    const rows: Array<{ id: number }> = await this.repo.query(
      `INSERT INTO identities (login, display_name, password_hash, roles) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING id`,
      [input.login, input.displayName, input.passwordHash, input.roles],
    );
    return rows.length ? this.repo.findOneByOrFail({ id: Number(rows[0].id) }) : null;
  }

  async updatePassword(id: number, passwordHash: string): Promise<void> {
    await this.repo.update({ id }, { passwordHash });
  }

  /**
   * Applies the patch, unless it would leave no active administrator: then nothing changes and
   * the answer is 'last_admin'. Null when the identity does not exist.
   */
  async update(id: number, patch: IdentityPatch): Promise<IdentityEntity | null | 'last_admin'> {
    return this.guardingAdmins(async (em) => {
      const found = await em.findOneBy(IdentityEntity, { id });
      if (!found) return null;
      await em.update(IdentityEntity, { id }, patch);
      return em.findOneByOrFail(IdentityEntity, { id });
    });
  }

  async delete(id: number): Promise<boolean | 'last_admin'> {
    return this.guardingAdmins(async (em) => {
      const result = await em.delete(IdentityEntity, { id });
      return (result.affected ?? 0) > 0;
    });
  }

  private async guardingAdmins<T>(work: (em: EntityManager) => Promise<T>): Promise<T | 'last_admin'> {
    try {
      return await this.repo.manager.transaction(async (em) => {
        await em.query(ADMIN_LOCK);
        const admins = async () =>
          (await em.query(`SELECT count(*)::int AS n FROM identities WHERE is_active AND 'admin' = ANY(roles)`))[0].n as number;
        const before = await admins();
        const out = await work(em);
        if (before > 0 && (await admins()) === 0) throw new LastAdminError();
        return out;
      });
    } catch (err) {
      if (err instanceof LastAdminError) return 'last_admin';
      throw err;
    }
  }
}
