import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { type Role, ROLES } from '@attune/api-client';
import { useRoles } from '../auth/auth';
import { PagedList } from '../components/paged-table';
import { PageHead } from '../components/page-layout';
import { EmptyState, Loading } from '../components/states';
import { CreatedCell } from '../components/time';
import { OptionList } from '../components/filter-input';
import { Toggle } from '../components/toggle';
import { usePageQuery } from '../lib/use-page-query';
import { useTitle } from '../lib/use-title';
import { useUrlFilters } from '../lib/use-url-filters';

const PER_PAGE = 50;

/** The highest of a user's roles (admin ⊃ operator ⊃ viewer): what the role picker shows. */
export const topRole = (roles: readonly string[]): Role => [...ROLES].reverse().find((r) => roles.includes(r)) ?? 'viewer';

export function UsersPage() {
  useTitle('Users');
  const { isAdmin, me } = useRoles();
  const { page, setPage } = useUrlFilters([] as const);
  const queryClient = useQueryClient();
  const list = usePageQuery('users', '/api/v1/users', { page, per_page: PER_PAGE }, { enabled: isAdmin });
  const change = useMutation({
    mutationFn: ({ id, ...body }: { id: number; roles?: Role[]; is_active?: boolean }) => api('/api/v1/users/{id}', { method: 'put', path: { id }, json: body }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users'] }),
  });

  if (me && !isAdmin) return <EmptyState title="Only administrators manage users." />;
  return (
    <section>
      <PageHead title="Users">
        <span className="muted small">Roles: viewer reads, operator runs and cancels, admin manages everything.</span>
      </PageHead>
      {change.isError && (
        <p className="form-error" role="alert">
          Could not change the user: {change.error.message}
        </p>
      )}
      {!me ? (
        <Loading what="Loading users" />
      ) : (
        <PagedList query={list} what="users" className="users-table" columns={['Login', 'Name', 'Role', 'Active', 'Created']} onPage={setPage}>
          {(u) => {
            const self = u.id === me.id;
            const busy = change.isPending && change.variables?.id === u.id;
            return (
              <tr key={u.id} data-user={u.login}>
                <td data-label="Login" className="card-title mono">
                  {u.login}
                  {self && <span className="muted small"> (you)</span>}
                </td>
                <td data-label="Name">{u.display_name ?? <span className="muted">—</span>}</td>
                <td data-label="Role">
                  <select
                    aria-label={`Role of ${u.login}`}
                    value={topRole(u.roles)}
                    disabled={busy || self}
                    title={self ? 'You cannot change your own role' : undefined}
                    onChange={(e) => change.mutate({ id: u.id, roles: [e.target.value as Role] })}
                  >
                    <OptionList values={ROLES} />
                  </select>
                </td>
                <td data-label="Active">
                  <Toggle on={u.is_active} label={`${u.login} active`} busy={busy} disabled={self} words={['active', 'inactive']} onChange={(is_active) => change.mutate({ id: u.id, is_active })} />
                </td>
                <CreatedCell iso={u.created} />
              </tr>
            );
          }}
        </PagedList>
      )}
    </section>
  );
}
