import { DomainError } from '@attune/contracts';
import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiDataResponse, ApiErrors } from '../common/openapi.decorators';
import { CurrentPrincipal, Public, type Principal, RequireRole } from './auth.decorators';
import { ChangePasswordDto, LoginDto, MeDto, type MeResponse, RefreshDto, RegisterDto, TokensDto, type TokensResponse } from './auth.dto';
import { AuthService } from './auth.service';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in', description: 'Answers an access token and a refresh token.' })
  @ApiDataResponse(TokensDto)
  @ApiErrors(400, 401, 413, 422)
  async login(@Body() body: LoginDto): Promise<TokensResponse> {
    return { data: await this.auth.login(body.login, body.password) };
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a refresh token for new tokens' })
  @ApiDataResponse(TokensDto)
  @ApiErrors(400, 401, 413, 422)
  async refresh(@Body() body: RefreshDto): Promise<TokensResponse> {
    return { data: await this.auth.refresh(body.refresh_token) };
  }

  @Public()
  @Post('register')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create an account',
    description:
      'Self-registration, on by default outside production (ATTUNE_ALLOW_REGISTRATION). New accounts have the `viewer` role; ' +
      'an administrator grants more with PUT /api/v1/users/{id}. 403 when registration is disabled, 409 when the login is taken.',
  })
  @ApiDataResponse(TokensDto, 201)
  @ApiErrors(400, 403, 409, 413, 422)
  async register(@Body() body: RegisterDto): Promise<TokensResponse> {
    return { data: await this.auth.register(body) };
  }

  @Get('me')
  @RequireRole('viewer')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The signed-in user and their roles' })
  @ApiDataResponse(MeDto)
  @ApiErrors(401, 403)
  async me(@CurrentPrincipal() principal: Principal): Promise<MeResponse> {
    if (principal.kind !== 'user') throw new DomainError('FORBIDDEN', 'only users have a profile');
    return { data: await this.auth.me(principal.id) };
  }

  @Post('password')
  @HttpCode(200)
  @RequireRole('viewer')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Change your password',
    description: 'Every token issued before stops working; the answer carries new ones. 422 when the current password is wrong.',
  })
  @ApiDataResponse(TokensDto)
  @ApiErrors(400, 401, 403, 413, 422)
  async changePassword(@CurrentPrincipal() principal: Principal, @Body() body: ChangePasswordDto): Promise<TokensResponse> {
    if (principal.kind !== 'user') throw new DomainError('FORBIDDEN', 'only users have a password');
    return { data: await this.auth.changePassword(principal.id, body.current_password, body.new_password) };
  }
}
