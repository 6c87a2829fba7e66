import type { FindOptionsOrder, FindOptionsWhere, Repository } from 'typeorm';

/** The finders of an entity that has an id and a unique ref (packs, actions, triggers, rules). */
export abstract class RefRepository<E extends { id: number; ref: string }> {
  protected constructor(protected readonly repo: Repository<E>) {}

  findByRef(ref: string): Promise<E | null> {
    return this.repo.findOneBy({ ref } as FindOptionsWhere<E>);
  }

  findById(id: number): Promise<E | null> {
    return this.repo.findOneBy({ id } as FindOptionsWhere<E>);
  }

  /** One page in ref order, of all rows or those of one pack. */
  protected async pageByRef(packRef: string | undefined, page: number, perPage: number): Promise<{ items: E[]; total: number }> {
    const [items, total] = await this.repo.findAndCount({
      where: (packRef ? { packRef } : {}) as FindOptionsWhere<E>,
      order: { ref: 'ASC' } as FindOptionsOrder<E>,
      skip: (page - 1) * perPage,
      take: perPage,
    });
    return { items, total };
  }
}
