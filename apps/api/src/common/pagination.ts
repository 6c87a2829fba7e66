import { ApiPropertyOptional } from '@nestjs/swagger';
import { Expose, Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

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
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE, default: 1 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_PAGE)
  page = 1;

  @ApiPropertyOptional({ minimum: 1, default: DEFAULT_PER_PAGE, description: `Items per page; values above ${MAX_PER_PAGE} are clamped to ${MAX_PER_PAGE}` })
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
  pagination: { page: number; per_page: number; total: number; total_pages: number };
}

export function paginated<T>(data: T[], total: number, q: PageQuery): Paginated<T> {
  return { data, pagination: { page: q.page, per_page: q.per_page, total, total_pages: Math.ceil(total / q.per_page) } };
}
