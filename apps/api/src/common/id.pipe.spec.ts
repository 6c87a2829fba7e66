import { DomainError } from '@attune/contracts';
import { plainToInstance } from 'class-transformer';
import { IsOptional, validateSync } from 'class-validator';
import { idPipe, IsIdFilter, NO_SUCH_ID } from './id.pipe';
import { MAX_PAGE, PageQuery } from './pagination';

class Filter extends PageQuery {
  @IsOptional() @IsIdFilter() parent?: number;
}

function query(q: Record<string, string>) {
  const value = plainToInstance(Filter, q);
  return { value, errors: validateSync(value, { whitelist: true, forbidNonWhitelisted: true }).map((e) => e.property) };
}

const codeOf = (f: () => unknown) => {
  try {
    f();
    return 'ok';
  } catch (err) {
    return (err as DomainError).code;
  }
};

describe('ids in paths', () => {
  it('reads ids as text: the bigint range, a 404 past the ids this platform issues, 400 otherwise', () => {
    expect(idPipe.transform('42', { type: 'param' })).toBe(42);
    expect(idPipe.transform('9007199254740991', { type: 'param' })).toBe(9007199254740991);
    expect(codeOf(() => idPipe.transform('9007199254740992', { type: 'param' }))).toBe('NOT_FOUND');
    expect(codeOf(() => idPipe.transform('9223372036854775807', { type: 'param' }))).toBe('NOT_FOUND');
    for (const bad of ['9223372036854775808', '0', '-1', '01', '1e3', 'abc', '', '99999999999999999999']) {
      expect(codeOf(() => idPipe.transform(bad, { type: 'param' }))).toBe('BAD_REQUEST');
    }
  });
});

describe('id filters and pages', () => {
  it('refuses out-of-range filters, and lets a valid id that names nothing match nothing', () => {
    expect(query({ parent: '7' }).value.parent).toBe(7);
    expect(query({ parent: '9223372036854775807' }).value.parent).toBe(NO_SUCH_ID);
    for (const bad of ['9223372036854775808', '0', '-1', 'x', '1.5']) expect(query({ parent: bad }).errors).toEqual(['parent']);
  });

  it('takes page_size for per_page, clamps both at 100, and refuses absurd pages', () => {
    expect(query({}).value).toMatchObject({ page: 1, per_page: 20 });
    expect(query({ page_size: '5' }).value.per_page).toBe(5);
    expect(query({ page_size: '5', per_page: '7' }).value.per_page).toBe(7);
    expect(query({ per_page: '1000' }).value.per_page).toBe(100);
    expect(query({ page_size: '100000000000000000000' }).value.per_page).toBe(100);
    expect(query({ per_page: '0' }).errors).toEqual(['per_page']);
    expect(query({ page_size: 'abc' }).errors).toContain('per_page');
    expect(query({ page: String(MAX_PAGE) }).errors).toEqual([]);
    expect(query({ page: '999999999999999999' }).errors).toEqual(['page']);
  });
});
