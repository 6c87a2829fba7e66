import { DomainError } from '@attune/contracts';
import { isRefusal, type PackEntity, PackRegistryRepository, PackRepository, type PackVersionEntity, type RegistryRefusal } from '@attune/persistence';
import { BLOB_STORE, type BlobStore } from '@attune/storage';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type CreatePackDto, MASK, packAttributesOf, secretKeys, type UpdatePackDto } from './pack.dto';
import { found } from '../common/found';

/** Turns a registry refusal about `what` into the HTTP answer a client can act on. */
export function refusalError(refusal: RegistryRefusal, what: string): DomainError {
  switch (refusal.refused) {
    case 'not_found':
      return new DomainError('NOT_FOUND', `${what} not found`);
    case 'exists':
      return new DomainError('CONFLICT', `${what} already exists`);
    case 'standard_pack':
      return new DomainError('CONFLICT', `${what} belongs to a built-in pack, which cannot be changed`);
    case 'active_executions':
      return new DomainError(
        'CONFLICT',
        `${what} is used by executions that have not finished`,
        refusal.actions.map((ref) => ({ field: ref, message: 'has unfinished executions' })),
      );
    case 'used_by_workflows':
      return new DomainError(
        'CONFLICT',
        `${what} is used by saved workflows; change or delete them first`,
        refusal.workflows.map((ref) => ({ field: ref, message: 'has a task that runs it' })),
      );
  }
}

@Injectable()
export class PacksService {
  private readonly logger = new Logger(PacksService.name);

  constructor(
    private readonly packs: PackRepository,
    private readonly registry: PackRegistryRepository,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  list(page: number, perPage: number) {
    return this.packs.list(page, perPage);
  }

  async get(ref: string): Promise<PackEntity> {
    return found(await this.packs.findByRef(ref), `pack "${ref}"`);
  }

  async create(dto: CreatePackDto): Promise<PackEntity> {
    const out = await this.registry.createPack({
      ref: dto.ref,
      label: dto.label,
      version: dto.version,
      description: dto.description ?? null,
      isStandard: false,
      ...packAttributesOf(dto),
    });
    if (isRefusal(out)) throw refusalError(out, `pack "${dto.ref}"`);
    return out;
  }

  async update(ref: string, dto: UpdatePackDto): Promise<PackEntity> {
    const attributes = packAttributesOf(dto);
    if (attributes.config) {
      // A client that sends back what it read sends the mask for secret values: keep the stored ones.
      const current = await this.get(ref);
      const secret = secretKeys(attributes.confSchema ?? current.confSchema ?? {});
      attributes.config = Object.fromEntries(
        Object.entries(attributes.config).map(([k, v]) => [k, secret.has(k) && v === MASK ? current.config?.[k] : v]),
      );
    }
    const out = await this.registry.updatePack(ref, { label: dto.label, version: dto.version, description: dto.description, ...attributes });
    if (isRefusal(out)) throw refusalError(out, `pack "${ref}"`);
    return out;
  }

  /** Deletes the pack, its actions and versions, then the archives no version refers to. */
  async delete(ref: string): Promise<void> {
    const out = await this.registry.deletePack(ref);
    if (isRefusal(out)) throw refusalError(out, `pack "${ref}"`);
    for (const key of out.blobKeys) {
      if (await this.registry.blobInUse(key)) continue;
      await this.blobs.delete(key).catch((err: Error) => this.logger.warn({ key, err: err.message }, 'pack archive left in the blob store'));
    }
    this.logger.log({ pack: ref, archives: out.blobKeys.length }, 'pack deleted');
  }

  async versions(ref: string): Promise<{ pack: PackEntity; versions: PackVersionEntity[] }> {
    const pack = await this.get(ref);
    return { pack, versions: await this.registry.listVersions(pack.id) };
  }

  async version(ref: string, digest: string): Promise<PackVersionEntity> {
    const version = /^[0-9a-f]{64}$/.test(digest) ? await this.registry.findVersion(ref, digest) : null;
    if (!version) throw new DomainError('NOT_FOUND', `pack "${ref}" has no version ${digest}`);
    return version;
  }
}
