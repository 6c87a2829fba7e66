import type { IdentityEntity } from '@attune/persistence';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayUnique, IsArray, IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { ROLES, type Role } from '../auth/auth.decorators';
import { LOGIN_PATTERN, MIN_PASSWORD_LENGTH } from '../auth/auth.dto';
import { MaxBytes } from '../common/validators';
import { timestamps } from '../common/records';

const ROLES_DESCRIPTION = 'admin manages packs, actions, users and retention; operator runs and cancels executions and uploads artifacts; viewer reads. admin includes operator, operator includes viewer.';

export class UserDetailDto {
  @ApiProperty() id!: number;
  @ApiProperty() login!: string;
  @ApiProperty({ nullable: true, type: String }) display_name!: string | null;
  @ApiProperty({ enum: ROLES, isArray: true, description: ROLES_DESCRIPTION }) roles!: string[];
  @ApiProperty({ description: 'A deactivated user cannot sign in and their tokens stop working' }) is_active!: boolean;
  @ApiProperty() created!: string;
  @ApiProperty() updated!: string;
}

export function toUserDto(i: IdentityEntity): UserDetailDto {
  return {
    id: i.id,
    login: i.login,
    display_name: i.displayName,
    roles: i.roles,
    is_active: i.isActive,
    ...timestamps(i),
  };
}

export class CreateUserDto {
  @ApiProperty({ example: 'bob@example.com' })
  @IsString() @Matches(LOGIN_PATTERN, { message: 'login must be 3 to 255 letters, digits or . _ @ + - and start with a letter or digit' })
  login!: string;

  @ApiProperty({ minLength: MIN_PASSWORD_LENGTH, description: 'At least 8 characters, at most 72 bytes' })
  @IsString() @MinLength(MIN_PASSWORD_LENGTH) @MaxBytes(72)
  password!: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(255) display_name?: string;

  @ApiPropertyOptional({ enum: ROLES, isArray: true, default: ['viewer'], description: ROLES_DESCRIPTION })
  @IsOptional() @IsArray() @ArrayUnique() @IsIn(ROLES, { each: true })
  roles?: Role[];
}

export class UpdateUserDto {
  @ApiPropertyOptional({ nullable: true, type: String }) @IsOptional() @IsString() @MaxLength(255) display_name?: string;

  @ApiPropertyOptional({ enum: ROLES, isArray: true, description: ROLES_DESCRIPTION })
  @IsOptional() @IsArray() @ArrayUnique() @IsIn(ROLES, { each: true })
  roles?: Role[];

  @ApiPropertyOptional() @IsOptional() @IsBoolean() is_active?: boolean;

  @ApiPropertyOptional({
    minLength: MIN_PASSWORD_LENGTH,
    description: 'Sets a new password (at least 8 characters, at most 72 bytes); the user\'s existing tokens stop working',
  })
  @IsOptional() @IsString() @MinLength(MIN_PASSWORD_LENGTH) @MaxBytes(72)
  password?: string;
}
