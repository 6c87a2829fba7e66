import { Body, Get, Param, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { RequireRole } from '../auth/auth.decorators';
import { idPipe } from '../common/id.pipe';
import {
  ApiController,
  ApiCreateRoute,
  ApiDeleteRoute,
  ApiErrors,
  ApiGetRoute,
  ApiPaginatedResponse,
  ApiUpdateRoute,
} from '../common/openapi.decorators';
import { PageQuery, paginated, type Paginated } from '../common/pagination';
import { CreateUserDto, toUserDto, UpdateUserDto, UserDetailDto } from './user.dto';
import { UsersService } from './users.service';

@RequireRole('admin')
@ApiController('users', 'api/v1/users')
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

  @ApiCreateRoute('admin', '', UserDetailDto, [400, 409, 413, 422], { summary: 'Create a user with roles (admin)', description: '409 when the login is taken.' })
  async create(@Body() body: CreateUserDto): Promise<{ data: UserDetailDto }> {
    return { data: toUserDto(await this.users.create(body)) };
  }

  @ApiGetRoute('admin', ':id', UserDetailDto, [400, 404], { summary: 'One user (admin)' })
  async get(@Param('id', idPipe) id: number): Promise<{ data: UserDetailDto }> {
    return { data: toUserDto(await this.users.get(id)) };
  }

  @ApiUpdateRoute('admin', ':id', UserDetailDto, [400, 404, 409, 413, 422], {
    summary: 'Change a user\'s roles, state, display name or password (admin)',
    description: 'A new password or deactivation ends the user\'s sessions at once. 409 when it would leave no active administrator.',
  })
  async update(@Param('id', idPipe) id: number, @Body() body: UpdateUserDto): Promise<{ data: UserDetailDto }> {
    return { data: toUserDto(await this.users.update(id, body)) };
  }

  @ApiDeleteRoute('admin', ':id', [400, 404, 409], { summary: 'Delete a user (admin)', description: '409 when it would leave no active administrator.' })
  async delete(@Param('id', idPipe) id: number): Promise<void> {
    await this.users.delete(id);
  }
}
