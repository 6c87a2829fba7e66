import { DomainError } from '@attune/contracts';
import type { PipeTransform } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/** The largest id a Postgres bigint can hold. Ids are read as decimal text, never through a float. */
export const MAX_BIGINT_ID = 9223372036854775807n;

/**
 * Ids this platform issues stay at or below 2^53 - 1: the id sequences are capped there (migration
 * CompatFields1765400000000), so an id read from the database is always exact as a JSON number.
 * A valid bigint above it names nothing.
 */
export const MAX_ISSUED_ID = Number.MAX_SAFE_INTEGER;

/** Stands for an id that is valid but above MAX_ISSUED_ID: it matches no row (ids are positive). */
export const NO_SUCH_ID = -1;

/** The decimal text of an id from 1 to the bigint maximum, or undefined for anything else. */
export function parseIdText(value: unknown): bigint | undefined {
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,18}$/.test(value)) return undefined;
  const id = BigInt(value);
  return id <= MAX_BIGINT_ID ? id : undefined;
}

/**
 * Numeric ids in paths. Checked as text: anything that is not a bigint id is a 400 (never a
 * database error), and a valid bigint id that this platform cannot have issued is a 404.
 */
export const idPipe: PipeTransform<string, number> = {
  transform(value: string): number {
    const id = parseIdText(value);
    if (id === undefined) throw new DomainError('BAD_REQUEST', `"${value}" is not a valid id (a whole number from 1 to ${MAX_BIGINT_ID})`);
    if (id > BigInt(MAX_ISSUED_ID)) throw new DomainError('NOT_FOUND', `nothing has id ${value}`);
    return Number(id);
  },
};

const ID_FILTER_MESSAGE = `must be an id: a whole number from 1 to ${MAX_BIGINT_ID}`;

/**
 * A numeric id in a query filter (`?parent=`, `?event=`…). Out of the bigint range, or not a
 * number, it is a 422 naming the field; a valid id above MAX_ISSUED_ID filters to nothing.
 */
export function IsIdFilter(options?: ValidationOptions): PropertyDecorator {
  const transform = Transform(({ value }) => {
    if (value === undefined) return undefined;
    const id = parseIdText(value);
    if (id === undefined) return value; // left as sent: the check below refuses it
    return id > BigInt(MAX_ISSUED_ID) ? NO_SUCH_ID : Number(id);
  });
  const check = ValidateBy(
    {
      name: 'isIdFilter',
      validator: {
        validate: (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && (value >= 1 || value === NO_SUCH_ID),
        defaultMessage: () => `$property ${ID_FILTER_MESSAGE}`,
      },
    },
    options,
  );
  return (target, key) => {
    transform(target, key);
    check(target, key);
  };
}
