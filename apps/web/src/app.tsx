import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { type ReactNode, useEffect, useState } from 'react';
import { BrowserRouter, Navigate, NavLink, Outlet, Route, Routes, useLocation } from 'react-router';
import { ActionsPage } from './actions/actions-page';
import { RunPage } from './actions/run-page';
import { ApiError } from './api/client';
import { ArtifactsPage } from './artifacts/artifacts-page';
import { AuthProvider, RequireAuth, useAuth, useRoles } from './auth/auth';
import { LoginPage } from './auth/login-page';
import { EmptyState } from './components/states';
import { ExecutionPage } from './executions/execution-page';
import { ExecutionsPage } from './executions/executions-page';
import { EventPage } from './events/event-page';
import { EventsPage } from './events/events-page';
import { useTitle } from './lib/use-title';
import { RulePage } from './rules/rule-page';
import { RulesPage } from './rules/rules-page';
import { TriggersPage } from './triggers/triggers-page';
import { UsersPage } from './users/users-page';
import { InquiriesPage } from './inquiries/inquiries-page';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx will not change by asking again; a network hiccup or a 5xx may.
      retry: (count, error) => count < 2 && !(error instanceof ApiError && error.status < 500),
      refetchOnWindowFocus: true,
      staleTime: 1_000,
    },
  },
});

/** The pages of the main navigation, in its order, each with the route of its list. */
const PAGES: Array<{ path: string; label: string; element: ReactNode; adminOnly?: boolean }> = [
  { path: '/executions', label: 'Executions', element: <ExecutionsPage /> },
  { path: '/actions', label: 'Actions', element: <ActionsPage /> },
  { path: '/rules', label: 'Rules', element: <RulesPage /> },
  { path: '/triggers', label: 'Triggers', element: <TriggersPage /> },
  { path: '/events', label: 'Events', element: <EventsPage /> },
  { path: '/inquiries', label: 'Inquiries', element: <InquiriesPage /> },
  { path: '/artifacts', label: 'Artifacts', element: <ArtifactsPage /> },
  // Its route is there for everyone: the page itself tells a non-admin it is for admins.
  { path: '/users', label: 'Users', element: <UsersPage />, adminOnly: true },
];

/** The pages reached from a list rather than from the navigation. */
const INNER_PAGES: Array<{ path: string; element: ReactNode }> = [
  { path: '/executions/:id', element: <ExecutionPage /> },
  { path: '/actions/:ref/run', element: <RunPage /> },
  { path: '/rules/:ref', element: <RulePage /> },
  { path: '/events/:id', element: <EventPage /> },
];

function Layout() {
  const { session, logout } = useAuth();
  const { isAdmin } = useRoles();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  // A narrow screen shows the navigation as a menu; following a link closes it, in the same render
  // as the navigation (the effect covers the browser's back and forward).
  useEffect(() => setMenuOpen(false), [location.pathname]);
  const closeMenu = () => setMenuOpen(false);
  const pages = PAGES.filter((p) => isAdmin || !p.adminOnly);
  return (
    <div className="shell">
      <header className={`topbar ${menuOpen ? 'menu-open' : ''}`}>
        <NavLink to="/executions" className="brand">
          <img src="/favicon.svg" alt="" width={22} height={22} /> Attune
        </NavLink>
        <button
          type="button"
          className="menu-button"
          aria-expanded={menuOpen}
          aria-controls="main-menu"
          aria-label="Menu"
          onClick={() => setMenuOpen((o) => !o)}
        >
          <span aria-hidden>{menuOpen ? '✕' : '☰'}</span>
        </button>
        <div className="menu" id="main-menu">
          <nav className="mainnav" aria-label="Main">
            {pages.map((p) => (
              <NavLink key={p.path} to={p.path} onClick={closeMenu}>
                {p.label}
              </NavLink>
            ))}
          </nav>
          <div className="user">
            <span className="user-name" title={session?.user.login}>
              {session?.user.display_name || session?.user.login}
            </span>
            <button type="button" className="btn btn-small" onClick={logout}>
              Log out
            </button>
          </div>
        </div>
      </header>
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}

function NotFound() {
  useTitle('Not found');
  return (
    <EmptyState title="There is no such page.">
      <NavLink to="/executions">Go to the executions</NavLink>
    </EmptyState>
  );
}

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <AuthProvider>
        <BrowserRouter>
          <Routes>
            <Route path="/login" element={<LoginPage />} />
            <Route
              element={
                <RequireAuth>
                  <Layout />
                </RequireAuth>
              }
            >
              <Route index element={<Navigate to="/executions" replace />} />
              {[...PAGES, ...INNER_PAGES].map((p) => (
                <Route key={p.path} path={p.path} element={p.element} />
              ))}
              <Route path="*" element={<NotFound />} />
            </Route>
          </Routes>
        </BrowserRouter>
      </AuthProvider>
    </QueryClientProvider>
  );
}
