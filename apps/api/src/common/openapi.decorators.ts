import { ERROR_CODES } from '@attune/contracts';
import { applyDecorators, Controller, Delete, Get, HttpCode, Post, Put, type Type } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  type ApiOperationOptions,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { RequireRole, type Role } from '../auth/auth.decorators';

export class PaginationDto {
  @ApiProperty() page!: number;
  @ApiProperty() per_page!: number;
  @ApiProperty() total!: number;
  @ApiProperty() total_pages!: number;
}

export class ErrorDetailDto {
  @ApiProperty({ example: 'parameters.message' }) field!: string;
  @ApiProperty({ example: 'must be string' }) message!: string;
}

export class CursorPaginationDto {
  @ApiProperty({ description: 'As sent (ignored when a cursor is sent)' }) page!: number;
  @ApiProperty() per_page!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Matching rows: exact, or estimated when total_estimated; null with total=none' })
  total!: number | null;
  @ApiProperty({ nullable: true, type: Number }) total_pages!: number | null;
  @ApiProperty({ description: 'True when total is the planner\'s estimate (past the exact-count limit)' }) total_estimated!: boolean;
  @ApiProperty({ nullable: true, type: String, description: 'Send as ?cursor= for the next page; null on the last page' })
  next_cursor!: string | null;
}

export class ErrorDto {
  @ApiProperty({ example: 'action "core.nope" not found' }) error!: string;
  @ApiProperty({ enum: Object.keys(ERROR_CODES), example: 'NOT_FOUND' }) code!: string;
  @ApiPropertyOptional({
    description: 'VALIDATION_ERROR: a list of {field, message}. Other codes may carry an object with more about the state (e.g. a CONFLICT\'s current `status`).',
    oneOf: [{ type: 'array', items: { $ref: '#/components/schemas/ErrorDetailDto' } }, { type: 'object', additionalProperties: true }],
    example: [{ field: 'parameters.mesage', message: 'is not a parameter of core.echo' }],
  })
  details?: ErrorDetailDto[] | Record<string, unknown>;
}

/** `{data: [T], pagination}` */
export const ApiPaginatedResponse = <T extends Type<unknown>>(model: T, pagination: Type<unknown> = PaginationDto) =>
  applyDecorators(
    ApiExtraModels(pagination, model),
    ApiOkResponse({
      schema: {
        type: 'object',
        required: ['data', 'pagination'],
        properties: { data: { type: 'array', items: { $ref: getSchemaPath(model) } }, pagination: { $ref: getSchemaPath(pagination) } },
      },
    }),
  );

/** `{data: [T], pagination}` of a list that also pages by cursor. */
export const ApiCursorPaginatedResponse = <T extends Type<unknown>>(model: T) => ApiPaginatedResponse(model, CursorPaginationDto);

/** `{data: T}`; `example` is the `data` of an example answer. */
export const ApiDataResponse = <T extends Type<unknown>>(model: T, status = 200, description?: string, example?: unknown) =>
  applyDecorators(
    ApiExtraModels(model),
    ApiResponse({
      status,
      description,
      schema: {
        type: 'object',
        required: ['data'],
        properties: { data: { $ref: getSchemaPath(model) } },
        ...(example === undefined ? {} : { example: { data: example } }),
      },
    }),
  );

/** `{data: [T]}`: a whole list, without pagination. */
export const ApiDataListResponse = <T extends Type<unknown>>(model: T, status = 200, description?: string) =>
  applyDecorators(
    ApiExtraModels(model),
    ApiResponse({
      status,
      description,
      schema: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: { $ref: getSchemaPath(model) } } } },
    }),
  );

/** The error envelope for the given statuses (described in openapi.ts unless a handler says more). */
export const ApiErrors = (...statuses: number[]) =>
  applyDecorators(ApiExtraModels(ErrorDto, ErrorDetailDto), ...statuses.map((status) => ApiResponse({ status, type: ErrorDto })));

/**
 * An API controller under `path`: its OpenAPI tag, bearer auth, and the errors every route of it
 * may answer (401, and 403 unless a route decides that itself). Applied in the order the stacked
 * decorators it stands for would be.
 */
export const ApiController = (tag: string, path: string, errors: number[] = [401, 403]) =>
  applyDecorators(Controller(path), ApiErrors(...errors), ApiBearerAuth(), ApiTags(tag));

/**
 * `GET` of a list for viewers: its operation, a page of `dto` (`page`: numbered pages,
 * `cursor`: cursor pages) and 422 for an invalid query. Applied in the order of the stacked
 * decorators it stands for.
 */
export const ApiListRoute = (operation: ApiOperationOptions, dto: Type<unknown>, pagination: 'page' | 'cursor') =>
  applyDecorators(
    ApiErrors(422),
    pagination === 'cursor' ? ApiCursorPaginatedResponse(dto) : ApiPaginatedResponse(dto),
    ApiOperation(operation),
    RequireRole('viewer'),
    Get(),
  );

/** What a route says of itself: its operation, and of its success answer a description (`answer`) and an example of its `data`. */
export interface RouteDoc extends ApiOperationOptions {
  answer?: string;
  example?: unknown;
}

/** The route's ApiOperation, and its answer: `{data: dto}` with `status`, or 204 when `dto` is null. */
function routeDoc(doc: RouteDoc, dto: Type<unknown> | null, status: number, errors: number[]) {
  const { answer, example, ...operation } = doc;
  const success = dto ? ApiDataResponse(dto, status, answer, example) : ApiNoContentResponse({ description: answer ?? 'Deleted' });
  return applyDecorators(ApiErrors(...errors), success, ApiOperation(operation));
}

// The routes below answer `{data: dto}` (or nothing, for a delete). Each names the least `role`
// that may call it (an execution token needs AllowExecutionToken or OwnExecutionOnly besides),
// the error statuses it may answer besides its controller's, and its documentation. Like
// ApiListRoute, each is applied in the order of the stacked decorators it stands for.

/** `GET path`: one `dto`. */
export const ApiGetRoute = (role: Role, path: string, dto: Type<unknown>, errors: number[], doc: RouteDoc) =>
  applyDecorators(routeDoc(doc, dto, 200, errors), RequireRole(role), Get(path));

/** `POST path` (`''`: the collection): 201 with the `dto` created. */
export const ApiCreateRoute = (role: Role, path: string, dto: Type<unknown>, errors: number[], doc: RouteDoc) =>
  applyDecorators(routeDoc(doc, dto, 201, errors), HttpCode(201), RequireRole(role), Post(path));

/** `PUT path`: the `dto` as changed. */
export const ApiUpdateRoute = (role: Role, path: string, dto: Type<unknown>, errors: number[], doc: RouteDoc) =>
  applyDecorators(routeDoc(doc, dto, 200, errors), RequireRole(role), Put(path));

/** `DELETE path`: 204, `Deleted` unless `doc.answer` says otherwise. */
export const ApiDeleteRoute = (role: Role, path: string, errors: number[], doc: RouteDoc) =>
  applyDecorators(routeDoc(doc, null, 204, errors), HttpCode(204), RequireRole(role), Delete(path));

/** `POST path` that acts rather than creates (enable, cancel, clean up…): 200 with its `dto` answer. */
export const ApiCommandRoute = (role: Role, path: string, dto: Type<unknown>, errors: number[], doc: RouteDoc) =>
  applyDecorators(routeDoc(doc, dto, 200, errors), HttpCode(200), RequireRole(role), Post(path));
