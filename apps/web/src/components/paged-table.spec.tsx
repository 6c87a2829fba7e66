import { describe, expect, it } from '@jest/globals';
import type { UseQueryResult } from '@tanstack/react-query';
import { renderToStaticMarkup } from 'react-dom/server';
import { PagedList } from './paged-table';
import { EmptyList } from './states';

type Row = { id: number; name: string };
type RowPage = { data: Row[]; pagination: { page: number; per_page: number; total: number; total_pages: number } };

/** What react-query answers once a page has loaded. */
const loaded = (data: Row[]) =>
  ({ isPending: false, isError: false, isSuccess: true, data: { data, pagination: { page: 1, per_page: 20, total: data.length, total_pages: 1 } } }) as unknown as UseQueryResult<RowPage>;

function render(query: UseQueryResult<RowPage>, props: { rows?: (data: RowPage) => Row[]; empty?: string } = {}) {
  return renderToStaticMarkup(
    <PagedList query={query} what="things" className="things-table" columns={['Name']} onPage={() => undefined} rows={props.rows} empty={props.empty}>
      {(r) => (
        <tr key={r.id}>
          <td>{r.name}</td>
        </tr>
      )}
    </PagedList>,
  );
}

describe('a list page body', () => {
  it('shows the loading state until the page is there', () => {
    const pending = { isPending: true, isError: false } as unknown as UseQueryResult<RowPage>;
    expect(render(pending)).toContain('Loading things');
  });

  it('shows the rows in the table, with the pagination', () => {
    const html = render(loaded([{ id: 1, name: 'one' }, { id: 2, name: 'two' }]), { empty: 'nothing' });
    expect(html).toContain('<table class="table cards things-table ');
    expect(html).toContain('<th>Name</th>');
    expect(html).toContain('<tbody><tr><td>one</td></tr><tr><td>two</td></tr></tbody>');
    expect(html).toContain('aria-label="Pagination"');
    expect(html).not.toContain('nothing');
  });

  it('shows `empty` when none of the rows the page picks is left', () => {
    const html = render(loaded([{ id: 1, name: 'one' }]), { rows: (d) => d.data.filter((r) => r.name === 'two'), empty: 'nothing' });
    expect(html).toBe('nothing');
  });

  it('shows an empty table when the page has no `empty` to say', () => {
    expect(render(loaded([]))).toContain('<tbody></tbody>');
  });
});

describe('an empty list', () => {
  it('says there is none yet, and how one comes, while no filter is set', () => {
    const html = renderToStaticMarkup(<EmptyList filtered={false} none="No rules yet." noMatch="No rule matches." hint="Rules come in packs." />);
    expect(html).toContain('No rules yet.');
    expect(html).toContain('Rules come in packs.');
  });

  it('says none matches the filters, and how to change them, while one is set', () => {
    const html = renderToStaticMarkup(<EmptyList filtered none="No rules yet." noMatch="No rule matches." hint="Rules come in packs." />);
    expect(html).toContain('No rule matches.');
    expect(html).toContain('Change or clear the filters.');
    expect(html).not.toContain('Rules come in packs.');
  });
});
