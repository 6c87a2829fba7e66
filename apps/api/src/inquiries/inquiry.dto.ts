import { type InquiryRecord, INQUIRY_STATUSES } from '@attune/persistence';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsIdFilter } from '../common/id.pipe';
import { PageQuery } from '../common/pagination';
import { isoOrNull, timestamps } from '../common/records';
import { OptionalJsonObject } from '../common/field.decorators';

export class InquiryDto {
  @ApiProperty({ example: 7 }) id!: number;
  @ApiProperty({ example: 42, description: 'The core.inquiry execution that asks; it stays `running` until the inquiry is settled' }) execution!: number;
  @ApiProperty({ type: String, nullable: true, example: 'Deploy to production?' }) title!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Release 2.1 passed staging. Approve the production rollout.' }) prompt!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'JSON Schema of the answer', example: { type: 'object', properties: { approved: { type: 'boolean' } }, required: ['approved'] } })
  schema!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, description: "Attune's name for `schema`" }) response_schema!: Record<string, unknown>;
  @ApiProperty({ type: [String], description: 'Logins that may answer (admins always may); empty: anyone holding one of `roles` (default operator)' }) assigned_to!: string[];
  @ApiProperty({ type: [String], description: 'Roles that may answer when assigned_to is empty (empty: operator)' }) roles!: string[];
  @ApiProperty({ enum: INQUIRY_STATUSES }) status!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: "The answer; it is also the execution's result.data" }) response!: Record<string, unknown> | null;
  @ApiProperty({ type: String, nullable: true }) responded_by!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) responded_at!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) timeout_at!: string | null;
  @ApiProperty({ format: 'date-time' }) created!: string;
  @ApiProperty({ format: 'date-time' }) updated!: string;
}

export function toInquiryDto(i: InquiryRecord): InquiryDto {
  return {
    id: i.id,
    execution: i.execution,
    title: i.title,
    prompt: i.prompt,
    schema: i.schema,
    response_schema: i.schema,
    assigned_to: i.assignedTo,
    roles: i.roles,
    status: i.status,
    response: i.response,
    responded_by: i.respondedBy,
    responded_at: isoOrNull(i.respondedAt),
    timeout_at: isoOrNull(i.timeoutAt),
    ...timestamps(i),
  };
}

export class InquiryListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: INQUIRY_STATUSES, description: 'e.g. `pending` for the open ones' }) @IsOptional() @IsIn(INQUIRY_STATUSES) status?: (typeof INQUIRY_STATUSES)[number];
  @ApiPropertyOptional({ type: Number }) @IsOptional() @IsIdFilter() execution?: number;
}

export class RespondInquiryDto {
  @OptionalJsonObject({ description: 'The answer, checked against the inquiry\'s schema (as Attune sends it)', example: { approved: true } })
  response?: Record<string, unknown>;

  @OptionalJsonObject({ description: 'Another name for `response` (`attune inquiry respond --data`)' })
  data?: Record<string, unknown>;
}
