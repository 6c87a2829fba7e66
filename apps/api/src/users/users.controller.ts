import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireRole } from '../auth/auth.decorators';
import { idPipe } from '../common/id.pipe';
import { ApiDataResponse, ApiErrors, ApiPaginatedResponse } from '../common/openapi.decorators';
import { PageQuery, paginated, type Paginated } from '../common/pagination';
import { CreateUserDto, toUserDto, UpdateUserDto, UserDetailDto } from './user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@ApiErrors(401, 403)
@RequireRole('admin')
@Controller('api/v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'List users (admin)' })
  @ApiPaginatedResponse(UserDetailDto)
  @ApiErrors(422)
  async list(@Query() q: PageQuery): Promise<Paginated<UserDetailDto>> {
    const { items, total } = await this.users.list(q.page, q.per_page);
    return paginated(items.map(toUserDto), total, q);
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a user with roles (admin)', description: '409 when the login is taken.' })
  @ApiDataResponse(UserDetailDto, 201)
  @ApiErrors(400, 409, 413, 422)
  async create(@Body() body: CreateUserDto): Promise<{ data: UserDetailDto }> {
    return { data: toUserDto(await this.users.create(body)) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One user (admin)' })
  @ApiDataResponse(UserDetailDto)
  @ApiErrors(400, 404)
  async get(@Param('id', idPipe) id: number): Promise<{ data: UserDetailDto }> {
    return { data: toUserDto(await this.users.get(id)) };
  }

  @Put(':id')
  @ApiOperation({
    summary: 'Change a user\'s roles, state, display name or password (admin)',
    description: 'A new password or deactivation ends the user\'s sessions at once. 409 when it would leave no active administrator.',
  })
  @ApiDataResponse(UserDetailDto)
  @ApiErrors(400, 404, 409, 413, 422)
  async update(@Param('id', idPipe) id: number, @Body() body: UpdateUserDto): Promise<{ data: UserDetailDto }> {
    return { data: toUserDto(await this.users.update(id, body)) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user (admin)', description: '409 when it would leave no active administrator.' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(400, 404, 409)
  async delete(@Param('id', idPipe) id: number): Promise<void> {
    await this.users.delete(id);
  }
}
