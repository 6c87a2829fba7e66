import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'test@attune.local' }) @IsString() @IsNotEmpty() @MaxLength(255) login!: string;
  @ApiProperty({ example: 'TestPass123!' }) @IsString() @IsNotEmpty() @MaxLength(1024) password!: string;
}

export class RefreshDto {
  @ApiProperty() @IsString() @IsNotEmpty() refresh_token!: string;
}

export class UserDto {
  @ApiProperty() id!: number;
  @ApiProperty() login!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) display_name!: string | null;
}

export class MeDto extends UserDto {
  @ApiProperty({ type: [String] }) roles!: string[];
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
