import { ERROR_CODES } from '@attune/contracts';
import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';

export class PaginationDto {
  @ApiProperty() page!: number;
  @ApiProperty() per_page!: number;
  @ApiProperty() total!: number;
  @ApiProperty() total_pages!: number;
}

export class ErrorDto {
  @ApiProperty({ example: 'action "core.nope" not found' }) error!: string;
  @ApiProperty({ enum: Object.keys(ERROR_CODES), example: 'NOT_FOUND' }) code!: string;
  @ApiPropertyOptional({ description: 'For VALIDATION_ERROR: a list of {field, message}' }) details?: unknown;
}

/** `{data: [T], pagination}` */
export const ApiPaginatedResponse = <T extends Type<unknown>>(model: T) =>
  applyDecorators(
    ApiExtraModels(PaginationDto, model),
    ApiOkResponse({
      schema: {
        type: 'object',
        required: ['data', 'pagination'],
        properties: { data: { type: 'array', items: { $ref: getSchemaPath(model) } }, pagination: { $ref: getSchemaPath(PaginationDto) } },
      },
    }),
  );

/** `{data: T}` */
export const ApiDataResponse = <T extends Type<unknown>>(model: T, status = 200, description?: string) =>
  applyDecorators(
    ApiExtraModels(model),
    ApiResponse({
      status,
      description,
      schema: { type: 'object', required: ['data'], properties: { data: { $ref: getSchemaPath(model) } } },
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

/** The error envelope for the given statuses. */
export const ApiErrors = (...statuses: number[]) =>
  applyDecorators(ApiExtraModels(ErrorDto), ...statuses.map((status) => ApiResponse({ status, type: ErrorDto })));
