import { KEY_NAME_PATTERN, KEY_SCOPE_ALIASES, keyRef, type KeyScope } from '@attune/contracts';
import { type KeyRecord, SECRET_MASK } from '@attune/persistence';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { OptionalQueryFlag } from '../common/field.decorators';
import { PageQuery } from '../common/pagination';
import { isoOrNull, timestamps } from '../common/records';

const SCOPE_NAMES = Object.keys(KEY_SCOPE_ALIASES);
const NAME_MESSAGE = 'must be 1-128 letters, digits, "_" or "-", starting with a letter or digit (no dots)';
/** Ten years: a TTL is for things that expire. */
export const MAX_KEY_TTL_SECONDS = 10 * 365 * 24 * 3600;


export class KeyDto {
  @ApiProperty({ example: 12 }) id!: number;
  @ApiProperty({ example: 'pack.github.api_token', description: "Attune's canonical ref: `system.<name>`, `user.<login>.<name>` or `pack.<pack>.<name>`" })
  ref!: string;
  @ApiProperty({ example: 'api_token' }) name!: string;
  @ApiProperty({ enum: ['system', 'user', 'pack'] }) scope!: KeyScope;
  @ApiProperty({ enum: ['system', 'identity', 'pack'], description: "The scope under Attune's name (`identity` for `user`)" }) owner_type!: string;
  @ApiProperty({ example: 'github', description: "'' for system keys, the login for user keys, the pack ref for pack keys" }) owner!: string;
  @ApiProperty() encrypted!: boolean;
  @ApiProperty({
    description: 'Any JSON value. An encrypted value shows "********" unless its owner or an admin (or an action whose scope holds it) asks with ?decrypt=true',
    example: 'ghp_…',
  })
  value!: unknown;
  @ApiProperty({ type: Number, nullable: true, description: 'Seconds left before the key expires (and vanishes)' }) ttl!: number | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) expires_at!: string | null;
  @ApiProperty({ type: String, nullable: true }) created_by!: string | null;
  @ApiProperty({ format: 'date-time' }) created!: string;
  @ApiProperty({ format: 'date-time' }) updated!: string;
}

export function toKeyDto(k: KeyRecord, value: unknown): KeyDto {
  return {
    id: k.id,
    ref: keyRef(k.scope, k.owner, k.name),
    name: k.name,
    scope: k.scope,
    owner_type: k.scope === 'user' ? 'identity' : k.scope,
    owner: k.owner,
    encrypted: k.encrypted,
    value,
    ttl: k.expiresAt ? Math.max(0, Math.ceil((new Date(k.expiresAt).getTime() - Date.now()) / 1000)) : null,
    expires_at: isoOrNull(k.expiresAt),
    created_by: k.createdBy,
    ...timestamps(k),
  };
}

export const MASKED_VALUE = SECRET_MASK;
export const KEY_NAME_RULE = NAME_MESSAGE;

/** Where a key lives, for the routes that address one by name. */
export class KeyAddressQuery {
  @ApiPropertyOptional({ enum: SCOPE_NAMES, description: 'Default: system for users; for an execution token, the first of user, pack, system that holds the name' })
  @IsOptional() @IsIn(SCOPE_NAMES)
  scope?: string;

  @ApiPropertyOptional({ description: 'The login (user keys; default: yourself) or the pack ref (pack keys)' })
  @IsOptional() @IsString() @MaxLength(255)
  owner?: string;
}

export class KeyGetQuery extends KeyAddressQuery {
  @OptionalQueryFlag({ description: "Show an encrypted value: for its owner (a user key's user), admins, and actions whose scope holds the key" })
  decrypt?: boolean;
}

export class KeyListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: SCOPE_NAMES }) @IsOptional() @IsIn(SCOPE_NAMES) scope?: string;
  @ApiPropertyOptional({ description: "Attune's name for scope" }) @IsOptional() @IsIn(SCOPE_NAMES) owner_type?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(255) owner?: string;
  @ApiPropertyOptional({ description: 'Substring of the name' }) @IsOptional() @IsString() @MaxLength(255) name?: string;
}

class KeyValueFields {
  @ApiProperty({ description: 'Any JSON value (at most 64 KiB as JSON)', example: 'ghp_…' })
  @Allow()
  value!: unknown;

  @ApiPropertyOptional({ default: false, description: 'Store the value encrypted (AES-256-GCM under ATTUNE_SECRETS_KEY); it is then shown masked' })
  @IsOptional() @IsBoolean()
  encrypted?: boolean;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_KEY_TTL_SECONDS, description: 'Seconds until the key expires; it is then never returned and is deleted' })
  @IsOptional() @IsInt() @Min(1) @Max(MAX_KEY_TTL_SECONDS)
  ttl?: number;
}

export class CreateKeyDto extends KeyValueFields {
  @ApiPropertyOptional({
    example: 'api_token',
    description: `The key's name; ${NAME_MESSAGE}. When Attune's \`local_ref\` or \`ref\` is sent, that is the key's name and this one is only a label (as in Attune)`,
  })
  @IsOptional() @IsString() @MaxLength(255)
  name?: string;
  @ApiPropertyOptional({ description: "Attune's name for `name` (or a canonical ref such as `pack.github.api_token`)" })
  @IsOptional() @IsString() @MaxLength(400)
  ref?: string;
  @ApiPropertyOptional({ description: "Attune's name for `name`" })
  @IsOptional() @IsString() @Matches(KEY_NAME_PATTERN, { message: `local_ref ${NAME_MESSAGE}` })
  local_ref?: string;

  @ApiPropertyOptional({ enum: SCOPE_NAMES, default: 'system' }) @IsOptional() @IsIn(SCOPE_NAMES) scope?: string;
  @ApiPropertyOptional({ enum: SCOPE_NAMES, description: "Attune's name for scope" }) @IsOptional() @IsIn(SCOPE_NAMES) owner_type?: string;
  @ApiPropertyOptional({ description: 'The login (user keys; default: yourself) or the pack ref (pack keys)' }) @IsOptional() @IsString() @MaxLength(255) owner?: string;
  @ApiPropertyOptional({ description: "Attune's owner of a pack key" }) @IsOptional() @IsString() @MaxLength(255) owner_pack_ref?: string;
  @ApiPropertyOptional({ description: "Attune's owner of an identity key" }) @IsOptional() @IsString() @MaxLength(255) owner_identity_login?: string;
}

/** PUT: the value, its encryption and TTL as they should be from now on (creates the key when missing). */
export class PutKeyDto extends KeyValueFields {}
