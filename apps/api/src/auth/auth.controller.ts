import { DomainError } from '@attune/contracts';
import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi.decorators';
import { CurrentPrincipal, Public, type Principal } from './auth.decorators';
import { LoginDto, MeResponse, RefreshDto, TokensResponse } from './auth.dto';
import { AuthService } from './auth.service';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: TokensResponse })
  @ApiErrors(401, 422)
  async login(@Body() body: LoginDto): Promise<TokensResponse> {
    return { data: await this.auth.login(body.login, body.password) };
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOkResponse({ type: TokensResponse })
  @ApiErrors(401, 422)
  async refresh(@Body() body: RefreshDto): Promise<TokensResponse> {
    return { data: await this.auth.refresh(body.refresh_token) };
  }

  @Public()
  @Post('register')
  @ApiErrors(403)
  register(): never {
    throw new DomainError('FORBIDDEN', 'self-registration is disabled');
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOkResponse({ type: MeResponse })
  @ApiErrors(401)
  async me(@CurrentPrincipal() principal: Principal): Promise<MeResponse> {
    if (principal.kind !== 'user') throw new DomainError('FORBIDDEN', 'only users have a profile');
    return { data: await this.auth.me(principal.id) };
  }
}
