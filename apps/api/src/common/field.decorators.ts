import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsObject, IsOptional } from 'class-validator';

/** What a field decorator below adds to its property's OpenAPI documentation. */
interface FieldDoc {
  description?: string;
  example?: unknown;
  default?: unknown;
  nullable?: boolean;
}

// Each decorator below is applied in the order of the stacked decorators it stands for.

/**
 * An optional JSON object (a schema, parameters, a payload): documented as an object of any
 * keys, unless `additionalProperties` narrows them, and refused (422) when it is something else.
 */
export const OptionalJsonObject = (doc: FieldDoc & { additionalProperties?: { type: string } } = {}): PropertyDecorator =>
  applyDecorators(IsObject(), IsOptional(), ApiPropertyOptional({ type: 'object', additionalProperties: true, ...doc }));

/** An optional query flag: `true` or `false` as sent becomes the boolean; anything else is left as sent, for IsBoolean to refuse. */
export const OptionalQueryFlag = (doc: FieldDoc = {}): PropertyDecorator =>
  applyDecorators(
    IsBoolean(),
    Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value)),
    IsOptional(),
    ApiPropertyOptional({ type: Boolean, ...doc }),
  );
