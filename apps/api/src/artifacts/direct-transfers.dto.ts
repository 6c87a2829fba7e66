import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import { CONTENT_TYPE_PATTERN } from './artifact.dto';

export class UploadUrlDto {
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Exact size of the content in bytes; the PUT must carry exactly this many' })
  @IsInt()
  @Min(0)
  size!: number;

  @ApiProperty({ pattern: '^[0-9a-fA-F]{64}$', description: 'SHA-256 of the content (hex); the bucket and the commit check it' })
  @IsString()
  @Matches(/^[0-9a-fA-F]{64}$/, { message: 'sha256 must be 64 hex digits' })
  sha256!: string;

  @ApiPropertyOptional({ description: "Media type of the version; default: the artifact's, then application/octet-stream" })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @Matches(CONTENT_TYPE_PATTERN, { message: 'content_type must be a media type' })
  content_type?: string;

  @ApiPropertyOptional({ description: 'Execution that produced this version (an execution token: its own)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  execution?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description: 'Lifetime of the URL in seconds, at most the configured ATTUNE_S3_PRESIGN_TTL_SECONDS (the default)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  expires_in?: number;
}

export class DirectUploadDto {
  @ApiProperty({ description: 'Opaque commit handle for POST …/versions/commit; names this upload only' }) upload_id!: string;
  @ApiProperty({ enum: ['PUT'] }) method!: 'PUT';
  @ApiProperty({ description: 'Presigned URL of one staging object in the bucket' }) url!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Send exactly these headers with the PUT (all signed): content-length, content-type and x-amz-checksum-sha256 (the base64 SHA-256, which the bucket checks)',
    example: { 'content-length': '11', 'content-type': 'text/plain', 'x-amz-checksum-sha256': 'uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=' },
  })
  headers!: Record<string, string>;
  @ApiProperty({ description: 'When the URL stops working (the PUT must start before)' }) expires_at!: string;
  @ApiProperty({ example: '/api/v1/artifacts/7/versions/commit', description: 'Where to POST {upload_id} once the PUT succeeded' }) commit_url!: string;
}

export class CommitUploadDto {
  @ApiProperty({ description: 'The upload_id that POST …/versions/upload-url answered' })
  @IsString()
  @MaxLength(4096)
  upload_id!: string;
}
