import { ValidateBy, type ValidationOptions } from 'class-validator';

/** At most `max` bytes once UTF-8 encoded (bcrypt's limit is in bytes, not characters). */
export function MaxBytes(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxBytes',
      constraints: [max],
      validator: {
        validate: (value: unknown) => typeof value === 'string' && Buffer.byteLength(value) <= max,
        defaultMessage: () => `$property must be at most ${max} bytes`,
      },
    },
    options,
  );
}
