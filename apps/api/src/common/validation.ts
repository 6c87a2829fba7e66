import { DomainError } from '@attune/contracts';
import { type ArgumentMetadata, type ValidationError, ValidationPipe } from '@nestjs/common';

export interface FieldError {
  field: string;
  message: string;
}

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/**
 * Path parameters reach their own pipes (idPipe) as the text that was sent. ValidationPipe would
 * otherwise turn a parameter typed `number` into a float first, and a bigint id such as
 * 9223372036854775807 would be rounded before idPipe saw it.
 */
class ApiValidationPipe extends ValidationPipe {
  protected override transformPrimitive(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'param') return value;
    return super.transformPrimitive(value, metadata);
  }
}

/** Request DTO validation: unknown fields are refused, failures answer 422 with each field. */
export function apiValidationPipe(): ValidationPipe {
  return new ApiValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    exceptionFactory: (errors) => new DomainError('VALIDATION_ERROR', 'request validation failed', flatten(errors)),
  });
}
