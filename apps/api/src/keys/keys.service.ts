import { DomainError, type KeyAddress, KEY_NAME_PATTERN, keyScopeOf, type KeyScope, parseKeyRef, RESERVED_KEY_NAMES } from '@attune/contracts';
import { ExecutionRepository, IdentityRepository, isUniqueViolation, type KeyRecord, KeyRepository, KeyValues, PackRepository } from '@attune/persistence';
import { Injectable } from '@nestjs/common';
import { type Principal, roleRank, ROLES } from '../auth/auth.decorators';
import { ApiConfig } from '../config/api.config';
import { type CreateKeyDto, type KeyAddressQuery, type KeyDto, type KeyGetQuery, type KeyListQuery, KEY_NAME_RULE, MASKED_VALUE, type PutKeyDto, toKeyDto } from './key.dto';
import { found } from '../common/found';

/** Largest value stored, as JSON text. */
const MAX_VALUE_CHARS = 64 * 1024;

/** Who is asking, with what the rules below need. */
type Reader =
  | { kind: 'user'; id: number; login: string; admin: boolean }
  /** A running action (its execution token): its pack's keys, its executor's keys, system keys. */
  | { kind: 'execution'; executionId: number; packRef: string; identity: number | null; login: string | null };

/**
 * The datastore (`/api/v1/keys`). Who may do what:
 * - system and pack keys: every user reads them (encrypted values masked), admins write them;
 * - user keys: their user and admins read and write them, nobody else sees them;
 * - an encrypted value is shown (`?decrypt=true`) to the user of a user key and to admins;
 * - an action (execution token) reads, decrypted on request, the system keys, the keys of its
 *   action's pack and those of the user who started it; any other key is refused (403). It writes none.
 */
@Injectable()
export class KeysService {
  private readonly values: KeyValues;

  constructor(
    private readonly keys: KeyRepository,
    private readonly executions: ExecutionRepository,
    private readonly identities: IdentityRepository,
    private readonly packs: PackRepository,
    config: ApiConfig,
  ) {
    this.values = new KeyValues(config.secretsKey);
  }

  async list(principal: Principal, q: KeyListQuery): Promise<{ items: KeyDto[]; total: number }> {
    const reader = await this.reader(principal);
    const scope = this.scopeParam(q.scope ?? q.owner_type);
    if (reader.kind === 'execution') {
      const visible = (await this.keys.findVisible({ packRef: reader.packRef, identity: reader.identity })).filter(
        (k) => (!scope || k.scope === scope) && (q.owner === undefined || k.owner === q.owner) && (!q.name || k.name.includes(q.name)),
      );
      const page = visible.slice((q.page - 1) * q.per_page, q.page * q.per_page);
      return { items: page.map((k) => this.dto(k, false)), total: visible.length };
    }
    const { items, total } = await this.keys.list(
      { scope, owner: q.owner, name: q.name, visibleToIdentity: reader.admin ? undefined : reader.id },
      q.page,
      q.per_page,
    );
    return { items: items.map((k) => this.dto(k, false)), total };
  }

  async get(principal: Principal, key: string, q: KeyGetQuery): Promise<KeyDto> {
    const reader = await this.reader(principal);
    const record = reader.kind === 'execution' && !q.scope && !parseKeyRef(key) ? await this.nearest(reader, key) : await this.find(reader, key, q);
    return this.dto(record, q.decrypt === true && this.mayDecrypt(reader, record));
  }

  async create(principal: Principal, dto: CreateKeyDto): Promise<KeyDto> {
    const reader = this.writer(await this.reader(principal));
    const address = await this.creationAddress(reader, dto);
    const write = await this.write(reader, address, dto);
    try {
      return this.dto(await this.keys.create(write), false);
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new DomainError('CONFLICT', `key "${keyLabel(address)}" already exists; PUT /api/v1/keys/{name} replaces it`);
      }
      throw err;
    }
  }

  async put(principal: Principal, key: string, q: KeyAddressQuery, dto: PutKeyDto): Promise<{ key: KeyDto; created: boolean }> {
    const reader = this.writer(await this.reader(principal));
    const address = this.address(reader, key, q);
    const { key: record, created } = await this.keys.upsert(await this.write(reader, address, dto));
    return { key: this.dto(record, false), created };
  }

  async delete(principal: Principal, key: string, q: KeyAddressQuery): Promise<void> {
    const reader = this.writer(await this.reader(principal));
    const address = this.address(reader, key, q);
    this.assertMayWrite(reader, address);
    if (!(await this.keys.delete(address))) throw new DomainError('NOT_FOUND', `key "${keyLabel(address)}" not found`);
  }

  /** Deletes expired keys (the sweep); they were already invisible. */
  sweepExpired(): Promise<number> {
    return this.keys.deleteExpired();
  }

  private async reader(principal: Principal): Promise<Reader> {
    if (principal.kind === 'user') {
      return { kind: 'user', id: principal.id, login: principal.login.toLowerCase(), admin: roleRank(principal.roles) >= ROLES.indexOf('admin') + 1 };
    }
    if (principal.kind === 'execution') {
      const execution = await this.executions.findById(principal.executionId);
      if (!execution) throw new DomainError('UNAUTHORIZED', 'the execution of this token no longer exists');
      const starter = execution.executor !== null ? await this.identities.findById(execution.executor) : null;
      const login = starter ? starter.login.toLowerCase() : null;
      return { kind: 'execution', executionId: execution.id, packRef: execution.actionRef.split('.')[0], identity: execution.executor, login };
    }
    throw new DomainError('FORBIDDEN', 'this token may not read keys');
  }

  private writer(reader: Reader): Extract<Reader, { kind: 'user' }> {
    if (reader.kind !== 'user') throw new DomainError('FORBIDDEN', 'an execution token may read keys, not change them');
    return reader;
  }

  private async find(reader: Reader, key: string, q: KeyAddressQuery): Promise<KeyRecord> {
    const address = this.address(reader, key, q);
    if (reader.kind === 'execution') {
      // Refused whether or not the key exists: an action learns nothing about keys outside its scope.
      const inScope =
        address.scope === 'system' || (address.scope === 'pack' && address.owner === reader.packRef) || (address.scope === 'user' && address.owner === reader.login);
      if (!inScope) {
        throw new DomainError('FORBIDDEN', `key "${keyLabel(address)}" is outside this execution's scope (system, pack "${reader.packRef}", the user who started it)`);
      }
    } else if (!reader.admin && address.scope === 'user' && address.owner !== reader.login) {
      throw new DomainError('FORBIDDEN', "another user's keys are theirs alone");
    }
    return found(await this.keys.find(address), `key "${keyLabel(address)}"`);
  }

  /** An action asking by name only: its user's key, else its pack's, else the system's. */
  private async nearest(reader: Extract<Reader, { kind: 'execution' }>, name: string): Promise<KeyRecord> {
    this.checkName(name);
    const visible = (await this.keys.findVisible({ packRef: reader.packRef, identity: reader.identity })).filter((k) => k.name === name);
    const found = (['user', 'pack', 'system'] as const).map((s) => visible.find((k) => k.scope === s)).find((k) => k !== undefined);
    if (!found) throw new DomainError('NOT_FOUND', `key "${name}" not found in this execution's scope (its user, pack "${reader.packRef}", system)`);
    return found;
  }

  private mayDecrypt(reader: Reader, record: KeyRecord): boolean {
    if (reader.kind === 'execution') return true; // find()/nearest() only answer keys in its scope
    return reader.admin || (record.scope === 'user' && record.ownerIdentity === reader.id);
  }

  private assertMayWrite(reader: Extract<Reader, { kind: 'user' }>, address: KeyAddress): void {
    if (reader.admin) return;
    if (address.scope === 'user' && address.owner === reader.login) return;
    throw new DomainError('FORBIDDEN', address.scope === 'user' ? "another user's keys are theirs alone" : `${address.scope} keys are written by admins`);
  }

  /** A key named in a path: a canonical ref, or a name with ?scope= and ?owner=. */
  private address(reader: Reader, key: string, q: KeyAddressQuery): KeyAddress {
    const parsed = parseKeyRef(key);
    if (parsed) {
      this.checkName(parsed.name);
      return parsed.scope === 'user' ? { ...parsed, owner: parsed.owner.toLowerCase() } : parsed;
    }
    this.checkName(key);
    const scope = this.scopeParam(q.scope) ?? 'system';
    return { scope, name: key, owner: this.ownerFor(reader, scope, q.owner) };
  }

  private async creationAddress(reader: Extract<Reader, { kind: 'user' }>, dto: CreateKeyDto): Promise<KeyAddress> {
    const parsed = dto.ref !== undefined ? parseKeyRef(dto.ref) : undefined;
    if (parsed) return this.address(reader, dto.ref as string, {});
    const name = dto.local_ref ?? dto.ref ?? dto.name;
    if (name === undefined) throw validation('name', 'is required');
    this.checkName(name);
    const scope = this.scopeParam(dto.scope ?? dto.owner_type) ?? 'system';
    return { scope, name, owner: this.ownerFor(reader, scope, dto.owner ?? (scope === 'pack' ? dto.owner_pack_ref : dto.owner_identity_login)) };
  }

  private ownerFor(reader: Reader, scope: KeyScope, owner: string | undefined): string {
    if (scope === 'system') {
      if (owner) throw validation('owner', 'must be empty for system keys');
      return '';
    }
    if (scope === 'user') {
      if (owner) return owner.toLowerCase();
      if (reader.login) return reader.login;
      throw validation('owner', 'is required: the login of the user the key belongs to');
    }
    if (owner) return owner;
    if (reader.kind === 'execution') return reader.packRef;
    throw validation('owner', 'is required for pack keys: the pack ref');
  }

  /** The row to write, after the rights and the owner are checked. */
  private async write(reader: Extract<Reader, { kind: 'user' }>, address: KeyAddress, dto: PutKeyDto) {
    this.assertMayWrite(reader, address);
    if (dto.value === undefined) throw validation('value', 'is required (any JSON value)');
    if ((JSON.stringify(dto.value) ?? '').length > MAX_VALUE_CHARS) throw validation('value', `may be at most ${MAX_VALUE_CHARS} characters as JSON`);
    let ownerIdentity: number | null = null;
    if (address.scope === 'user') {
      const identity = await this.identities.findByLogin(address.owner);
      if (!identity) throw validation('owner', `no user "${address.owner}"`);
      ownerIdentity = identity.id;
    }
    if (address.scope === 'pack' && !(await this.packs.findByRef(address.owner))) throw validation('owner', `no pack "${address.owner}"`);
    const encrypted = dto.encrypted === true;
    return {
      ...address,
      ownerIdentity,
      encrypted,
      value: encrypted ? null : dto.value,
      encryptedValue: encrypted ? this.values.seal(address, dto.value) : null,
      expiresAt: dto.ttl !== undefined ? new Date(Date.now() + dto.ttl * 1000) : null,
      createdBy: reader.login,
    };
  }

  private dto(record: KeyRecord, decrypt: boolean): KeyDto {
    if (!record.encrypted) return toKeyDto(record, record.value);
    return toKeyDto(record, decrypt && record.encryptedValue !== null ? this.values.open(record, record.encryptedValue) : MASKED_VALUE);
  }

  private scopeParam(value: string | undefined): KeyScope | undefined {
    if (value === undefined) return undefined;
    const scope = keyScopeOf(value);
    if (!scope) throw validation('scope', 'must be system, user (identity) or pack');
    return scope;
  }

  private checkName(name: string): void {
    if (!KEY_NAME_PATTERN.test(name)) throw validation('name', KEY_NAME_RULE);
    if (RESERVED_KEY_NAMES.includes(name)) throw validation('name', `"${name}" names a scope in templates ({{ keystore.${name}.<key> }}); choose another name`);
  }
}

function validation(field: string, message: string): DomainError {
  return new DomainError('VALIDATION_ERROR', `${field} ${message}`, [{ field, message }]);
}

function keyLabel(a: KeyAddress): string {
  return a.scope === 'system' ? a.name : `${a.scope}.${a.owner}.${a.name}`;
}
