import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { MaxBytes } from '../common/validators';
import { ROLES } from './auth.decorators';

/** Logins are e-mail addresses or user names. */
export const LOGIN_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{2,254}$/;
export const MIN_PASSWORD_LENGTH = 8;

export class LoginDto {
  @ApiProperty({ example: 'test@attune.local' }) @IsString() @IsNotEmpty() @MaxLength(255) login!: string;
  @ApiProperty({ example: 'TestPass123!' }) @IsString() @IsNotEmpty() @MaxLength(1024) password!: string;
}

export class RegisterDto {
  @ApiProperty({ example: 'alice@example.com', description: 'E-mail address or user name: letters, digits and . _ @ + -, 3 to 255 characters' })
  @IsString() @Matches(LOGIN_PATTERN, { message: 'login must be 3 to 255 letters, digits or . _ @ + - and start with a letter or digit' })
  login!: string;

  @ApiProperty({ example: 'correct horse battery', minLength: MIN_PASSWORD_LENGTH, description: 'At least 8 characters, at most 72 bytes' })
  @IsString() @MinLength(MIN_PASSWORD_LENGTH) @MaxBytes(72)
  password!: string;

  @ApiPropertyOptional({ example: 'Alice' }) @IsOptional() @IsString() @MaxLength(255) display_name?: string;
}

export class RefreshDto {
  @ApiProperty() @IsString() @IsNotEmpty() refresh_token!: string;
}

export class LogoutDto {
  @ApiProperty({ description: 'The refresh token of the sign-in to end' }) @IsString() @IsNotEmpty() refresh_token!: string;
}

export class ChangePasswordDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(1024) current_password!: string;
  @ApiProperty({ minLength: MIN_PASSWORD_LENGTH, description: 'At least 8 characters, at most 72 bytes' })
  @IsString() @MinLength(MIN_PASSWORD_LENGTH) @MaxBytes(72)
  new_password!: string;
}

export class UserDto {
  @ApiProperty() id!: number;
  @ApiProperty() login!: string;
  @ApiProperty({ nullable: true, type: String }) display_name!: string | null;
}

export class MeDto extends UserDto {
  @ApiProperty({ type: [String], enum: ROLES, isArray: true }) roles!: string[];
}

export class TokensDto {
  @ApiProperty() access_token!: string;
  @ApiProperty() refresh_token!: string;
  @ApiProperty({ example: 'Bearer' }) token_type!: 'Bearer';
  @ApiProperty({ description: 'Seconds until the access token expires' }) expires_in!: number;
  @ApiProperty({ type: UserDto }) user!: UserDto;
}

export class TokensResponse {
  @ApiProperty({ type: TokensDto }) data!: TokensDto;
}

export class MeResponse {
  @ApiProperty({ type: MeDto }) data!: MeDto;
}
