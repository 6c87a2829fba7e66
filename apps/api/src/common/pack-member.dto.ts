import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * What a PUT of a pack member (rule, trigger) starts with: `ref` and `pack_ref` may be sent back
 * but not changed; the label and description change when given.
 */
export abstract class PackMemberUpdateDto {
  @ApiPropertyOptional({ description: 'Must equal the current ref' }) @IsOptional() @IsString() ref?: string;
  @ApiPropertyOptional({ description: 'Must equal the current pack' }) @IsOptional() @IsString() pack_ref?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @IsNotEmpty() @MaxLength(255) label?: string;
  @ApiPropertyOptional({ nullable: true, type: String }) @IsOptional() @IsString() @MaxLength(4000) description?: string | null;
}

/** What every pack member (rule, trigger) answers first: its ids, its pack and its label. */
export abstract class PackMemberDto {
  @ApiProperty() id!: number;
  @ApiProperty() ref!: string;
  @ApiProperty() pack!: number;
  @ApiProperty() pack_ref!: string;
  @ApiProperty() label!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
}
