import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter, Navigate, NavLink, Outlet, Route, Routes } from 'react-router';
import { ActionsPage } from './actions/actions-page';
import { RunPage } from './actions/run-page';
import { ApiError } from './api/client';
import { ArtifactsPage } from './artifacts/artifacts-page';
import { AuthProvider, RequireAuth, useAuth } from './auth/auth';
import { LoginPage } from './auth/login-page';
import { EmptyState } from './components/states';
import { ExecutionPage } from './executions/execution-page';
import { ExecutionsPage } from './executions/executions-page';

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

function Layout() {
  const { session, logout } = useAuth();
  return (
    <div className="shell">
      <header className="topbar">
        <NavLink to="/executions" className="brand">
          <img src="/favicon.svg" alt="" width={22} height={22} /> Attune
        </NavLink>
        <nav className="mainnav">
          <NavLink to="/executions">Executions</NavLink>
          <NavLink to="/actions">Actions</NavLink>
          <NavLink to="/artifacts">Artifacts</NavLink>
        </nav>
        <div className="user">
          <span title={session?.user.login}>{session?.user.display_name || session?.user.login}</span>
          <button type="button" className="btn btn-small" onClick={logout}>
            Log out
          </button>
        </div>
      </header>
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}

function NotFound() {
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
              <Route path="/executions" element={<ExecutionsPage />} />
              <Route path="/executions/:id" element={<ExecutionPage />} />
              <Route path="/actions" element={<ActionsPage />} />
              <Route path="/actions/:ref/run" element={<RunPage />} />
              <Route path="/artifacts" element={<ArtifactsPage />} />
              <Route path="*" element={<NotFound />} />
            </Route>
          </Routes>
        </BrowserRouter>
      </AuthProvider>
    </QueryClientProvider>
  );
}
