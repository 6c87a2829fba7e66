import type { ApiKey } from '@attune/persistence';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ROLES, type Role } from '../auth/auth.decorators';
import { iso, isoOrNull } from '../common/records';

/** Ten years: a key that should never expire is better revoked by hand than left forever. */
export const MAX_API_KEY_TTL_SECONDS = 10 * 365 * 24 * 3600;

export class CreateApiKeyDto {
  @ApiProperty({ example: 'ci-deploy', description: 'What the key is for (shown in lists)' })
  @IsString() @IsNotEmpty() @MaxLength(100)
  name!: string;

  @ApiPropertyOptional({
    enum: ROLES,
    description: 'The most the key may do. Default: the creator\'s roles. It can be no more than the creator\'s (403), and the owner\'s current roles cap it at every request.',
  })
  @IsOptional() @IsIn(ROLES)
  role?: Role;

  @ApiPropertyOptional({ minimum: 60, maximum: MAX_API_KEY_TTL_SECONDS, example: 2592000, description: 'Seconds until the key stops working; without it the key lasts until revoked' })
  @IsOptional() @IsInt() @Min(60) @Max(MAX_API_KEY_TTL_SECONDS)
  expires_in?: number;
}

export class ApiKeyDto {
  @ApiProperty() id!: number;
  @ApiProperty({ example: 'ci-deploy' }) name!: string;
  @ApiProperty({ example: 'atk_3fQz9KpL', description: 'The key\'s first characters: enough to recognise it, useless to use it' }) prefix!: string;
  @ApiProperty({ nullable: true, enum: ROLES, description: 'The most the key may do; null: as its owner' }) role!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'test@attune.local', description: 'The owner: executions started with the key show this login' }) owner!: string | null;
  @ApiProperty() created!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Last request made with the key (recorded at most once a minute)' }) last_used!: string | null;
  @ApiProperty({ nullable: true, type: String }) expires_at!: string | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({
    example: 'atk_3fQz9KpLx0mW2nB7vT5yR8sD1gH4jK6lZ0aQ9wE3',
    description: 'The key itself, shown this once: only its hash is stored. Send it as `Authorization: Bearer <key>`.',
  })
  key!: string;
}

export function toApiKeyDto(k: ApiKey): ApiKeyDto {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    role: k.role,
    owner: k.login,
    created: iso(k.created),
    last_used: isoOrNull(k.lastUsed),
    expires_at: isoOrNull(k.expiresAt),
  };
}
