import { DomainError } from '@attune/contracts';
import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiDataResponse, ApiErrors } from '../common/openapi.decorators';
import { CurrentPrincipal, Public, type Principal, RequireRole } from './auth.decorators';
import { ChangePasswordDto, LoginDto, LogoutDto, MeDto, type MeResponse, RefreshDto, RegisterDto, TokensDto, type TokensResponse } from './auth.dto';
import { AuthService } from './auth.service';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in',
    description:
      'Answers an access token and a refresh token. Logins are case-insensitive. Failed sign-ins are limited per login ' +
      '(ATTUNE_LOGIN_MAX_FAILURES_PER_LOGIN) and per client address (ATTUNE_LOGIN_MAX_FAILURES_PER_ADDRESS) within ' +
      'ATTUNE_LOGIN_THROTTLE_WINDOW_SECONDS; past that the answer is 429 with Retry-After, whatever the password.',
  })
  @ApiDataResponse(TokensDto)
  @ApiErrors(400, 401, 413, 422, 429)
  async login(@Body() body: LoginDto, @Req() req: Request): Promise<TokensResponse> {
    return { data: await this.auth.login(body.login, body.password, clientAddress(req)) };
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Exchange a refresh token for new tokens',
    description:
      'A refresh token is good for one exchange: the answer carries its replacement. Presenting a spent one again ' +
      'answers 401 and revokes every refresh token of that sign-in.',
  })
  @ApiDataResponse(TokensDto)
  @ApiErrors(400, 401, 413, 422)
  async refresh(@Body() body: RefreshDto): Promise<TokensResponse> {
    return { data: await this.auth.refresh(body.refresh_token) };
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Sign out',
    description:
      'Revokes the refresh token and every other refresh token of the same sign-in. Access tokens already issued ' +
      'stay valid until they expire (ATTUNE_ACCESS_TOKEN_TTL_SECONDS); POST /auth/password revokes those too.',
  })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiErrors(400, 401, 413, 422)
  async logout(@Body() body: LogoutDto): Promise<void> {
    await this.auth.logout(body.refresh_token);
  }

  @Public()
  @Post('register')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create an account',
    description:
      'Self-registration, on by default outside production (ATTUNE_ALLOW_REGISTRATION). New accounts have the `viewer` role; ' +
      'an administrator grants more with PUT /api/v1/users/{id}. 403 when registration is disabled, 409 when the login is taken ' +
      '(in any case). 429 with Retry-After past ATTUNE_REGISTER_MAX_PER_ADDRESS attempts from one address in the window.',
  })
  @ApiDataResponse(TokensDto, 200, 'The account is created and signed in (200, as Attune answers)')
  @ApiErrors(400, 403, 409, 413, 422, 429)
  async register(@Body() body: RegisterDto, @Req() req: Request): Promise<TokensResponse> {
    return { data: await this.auth.register(body, clientAddress(req)) };
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

/** The client's address as Express sees it: the peer, or X-Forwarded-For from trusted proxies (ATTUNE_API_TRUST_PROXY). */
function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
