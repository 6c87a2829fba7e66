import { DomainError } from '@attune/contracts';
import type { PipeTransform } from '@nestjs/common';

/** Numeric ids in paths: anything else is a 400, never a database error. */
export const idPipe: PipeTransform<string, number> = {
  transform(value: string): number {
    if (!/^[1-9][0-9]{0,15}$/.test(value)) throw new DomainError('BAD_REQUEST', `"${value}" is not a valid id`);
    return Number(value);
  },
};
