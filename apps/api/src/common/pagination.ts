import { ApiPropertyOptional } from '@nestjs/swagger';
import { Expose, Transform, Type } from 'class-transformer';
import { EXACT_TOTAL_LIMIT, type ListPage, type ListRequest, TOTAL_MODES, type TotalMode } from '@attune/persistence';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { CursorPaginationDto, PaginationDto } from './openapi.decorators';

export const MAX_PER_PAGE = 100;
export const DEFAULT_PER_PAGE = 20;
/** Past this page the row offset would leave the exact range of a JSON number: 422, never a database error. */
export const MAX_PAGE = Math.floor(Number.MAX_SAFE_INTEGER / MAX_PER_PAGE);

/**
 * `per_page` (or Attune's `page_size`) as sent, as a number; above MAX_PER_PAGE it is clamped,
 * as Attune does. Anything that is not a whole number is left as sent for the check to refuse.
 */
function pageSize(raw: unknown): unknown {
  if (raw === undefined) return DEFAULT_PER_PAGE;
  if (typeof raw === 'string' && /^[0-9]{1,1000}$/.test(raw)) return Math.min(Number(raw), MAX_PER_PAGE);
  return typeof raw === 'number' && Number.isInteger(raw) && raw > MAX_PER_PAGE ? MAX_PER_PAGE : raw;
}

export class PageQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 1 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_PAGE)
  page = 1;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, default: DEFAULT_PER_PAGE, description: `Items per page; values above ${MAX_PER_PAGE} are clamped to ${MAX_PER_PAGE}` })
  // Exposed so the transform runs when only page_size was sent.
  @Expose()
  @Transform(({ obj }) => pageSize((obj as Record<string, unknown>).per_page ?? (obj as Record<string, unknown>).page_size))
  @IsInt() @Min(1)
  per_page = DEFAULT_PER_PAGE;

  @ApiPropertyOptional({ minimum: 1, description: 'Attune\'s name for per_page (same meaning); per_page wins when both are sent' })
  @IsOptional() @Transform(({ value }) => pageSize(value)) @IsInt() @Min(1)
  page_size?: number;
}

export interface Paginated<T> {
  data: T[];
  pagination: PaginationDto;
}

export function paginated<T>(data: T[], total: number, q: PageQuery): Paginated<T> {
  return { data, pagination: { page: q.page, per_page: q.per_page, total, total_pages: Math.ceil(total / q.per_page) } };
}

/**
 * The query of a list that pages by cursor as well as by number (executions, events,
 * enforcements, artifacts): see libs/persistence list-page.ts.
 */
export class CursorPageQuery extends PageQuery {
  @ApiPropertyOptional({
    description: 'Opaque cursor from a previous answer\'s `pagination.next_cursor`: the page after that one (then `page` is ignored). ' +
      'Rows created meanwhile never shift a walk by cursor.',
  })
  @IsOptional() @IsString() @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({
    enum: TOTAL_MODES,
    default: 'auto',
    description: `How \`pagination.total\` is computed: \`auto\` counts exactly up to ${EXACT_TOTAL_LIMIT} rows and estimates past that ` +
      '(`total_estimated: true`); `exact` always counts (slow on big tables); `none` skips it (`total: null`)',
  })
  @IsOptional() @IsIn(TOTAL_MODES)
  total?: TotalMode;
}

export interface CursorPaginated<T> {
  data: T[];
  pagination: CursorPaginationDto;
}

/** What the repositories' list() takes, from the query. */
export function listRequest(q: CursorPageQuery): ListRequest {
  return { page: q.page, perPage: q.per_page, cursor: q.cursor, total: q.total };
}

export function cursorPaginated<T, R>(page: ListPage<T>, q: CursorPageQuery, map: (item: T) => R): CursorPaginated<R> {
  return {
    data: page.items.map(map),
    pagination: {
      page: q.page,
      per_page: q.per_page,
      total: page.total,
      total_pages: page.total === null ? null : Math.ceil(page.total / q.per_page),
      total_estimated: page.totalEstimated,
      next_cursor: page.nextCursor,
    },
  };
}

/** The `created_after` / `created_before` filters of a list query, as instants (undefined when not sent). */
export function createdRange(q: { created_after?: string; created_before?: string }): { createdAfter?: Date; createdBefore?: Date } {
  return {
    createdAfter: q.created_after ? new Date(q.created_after) : undefined,
    createdBefore: q.created_before ? new Date(q.created_before) : undefined,
  };
}
