import { PACK_REF_PATTERN } from '@attune/contracts';
import type { PackEntity, PackVersionEntity } from '@attune/persistence';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ActionDto } from '../actions/action.dto';

export class PackDto {
  @ApiProperty() id!: number;
  @ApiProperty({ example: 'demo' }) ref!: string;
  @ApiProperty() label!: string;
  @ApiProperty({ example: '1.0.0' }) version!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ description: 'Built-in packs (core) are registered by the platform and cannot be changed' }) is_standard!: boolean;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'SHA-256 of the current archive; null until one is uploaded' })
  digest!: string | null;
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
    digest: p.digest ?? null,
    created: new Date(p.created).toISOString(),
    updated: new Date(p.updated).toISOString(),
  };
}

export class PackFileDto {
  @ApiProperty({ example: 'actions/hello.py' }) path!: string;
  @ApiProperty() size!: number;
}

export class PackVersionDto {
  @ApiProperty({ description: 'SHA-256 of the .tar.gz, lowercase hex' }) digest!: string;
  @ApiProperty({ description: 'The version pack.yaml declared' }) version!: string;
  @ApiProperty() size_bytes!: number;
  @ApiProperty({ type: [PackFileDto] }) files!: PackFileDto[];
  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Identity that uploaded it' }) uploaded_by!: number | null;
  @ApiProperty({ description: 'Whether this is the pack\'s current archive' }) current!: boolean;
  @ApiProperty({ example: '/api/v1/packs/demo/versions/3f…/download' }) download_url!: string;
  @ApiProperty() created!: string;
}

export function toPackVersionDto(v: PackVersionEntity, currentDigest: string | null): PackVersionDto {
  return {
    digest: v.digest,
    version: v.version,
    size_bytes: Number(v.sizeBytes),
    files: v.files,
    uploaded_by: v.uploadedBy,
    current: v.digest === currentDigest,
    download_url: `/api/v1/packs/${v.packRef}/versions/${v.digest}/download`,
    created: new Date(v.created).toISOString(),
  };
}

export class PackUploadResultDto {
  @ApiProperty({ type: PackDto }) pack!: PackDto;
  @ApiProperty({ type: PackVersionDto }) version!: PackVersionDto;
  @ApiProperty({ description: 'False when the same bytes had been uploaded for this pack before' }) new_version!: boolean;
  @ApiProperty({ type: [ActionDto], description: 'The pack\'s actions, now exactly those of the archive' }) actions!: ActionDto[];
  @ApiProperty({ type: [String], description: 'Actions the archive no longer has, deleted' }) removed_actions!: string[];
  @ApiProperty({ type: [String], description: 'Keys in the YAML that nothing reads (typos?)' }) warnings!: string[];
}

export class CreatePackDto {
  @ApiProperty({ example: 'demo', description: 'Lowercase letters, digits, _ and -' })
  @IsString() @Matches(PACK_REF_PATTERN, { message: 'ref must be lowercase letters, digits, _ and - (at most 64)' })
  ref!: string;
  @ApiProperty({ example: 'Demo pack' }) @IsString() @IsNotEmpty() @MaxLength(255) label!: string;
  @ApiProperty({ example: '1.0.0' }) @IsString() @IsNotEmpty() @MaxLength(64) version!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(10_000) description?: string;
}

export class UpdatePackDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @IsNotEmpty() @MaxLength(255) label?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @IsNotEmpty() @MaxLength(64) version?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(10_000) description?: string;
}
