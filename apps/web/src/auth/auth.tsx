import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import { Navigate, useLocation } from 'react-router';
import { api } from '../api/client';
import type { Me } from '@attune/api-client';
import { adoptSessionFromOtherTabs, clearSession, loadSession, onSessionChange, type Session } from './session';
import { Loading } from '../components/states';

interface AuthState {
  session: Session | null;
  /** False while a tab that opened without a session asks the other tabs for theirs. */
  ready: boolean;
  /** The last session ended because the server refused its tokens. */
  expired: boolean;
  logout: () => void;
}

const AuthContext = createContext<AuthState>({ session: null, ready: true, expired: false, logout: () => undefined });

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState(loadSession);
  const [expired, setExpired] = useState(false);
  const [ready, setReady] = useState(() => session !== null);
  const queryClient = useQueryClient();

  useEffect(() => {
    let live = true;
    void adoptSessionFromOtherTabs().then((s) => {
      if (!live) return;
      setSession(s);
      setReady(true);
    });
    return () => {
      live = false;
    };
  }, []);

  useEffect(
    () =>
      onSessionChange((next, reason) => {
        setSession(next);
        setExpired(!next && reason === 'expired');
        // Nothing of one user's session may show in the next one.
        if (!next) queryClient.clear();
      }),
    [queryClient],
  );

  return <AuthContext.Provider value={{ session, ready, expired, logout }}>{children}</AuthContext.Provider>;
}

/** Signs out here at once, and asks the server to revoke the refresh token (best effort). */
function logout(): void {
  const refreshToken = loadSession()?.refreshToken;
  clearSession('logout');
  if (refreshToken) {
    void fetch('/auth/logout', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: refreshToken }) }).catch(
      () => undefined,
    );
  }
}

export const useAuth = () => useContext(AuthContext);

/** The pages behind login: without a session, the login page, which brings the user back here after. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { session, ready, expired } = useAuth();
  const location = useLocation();
  if (!ready) return <Loading what="Signing in" />;
  if (!session) return <Navigate to="/login" replace state={{ from: location.pathname + location.search, expired }} />;
  return <>{children}</>;
}

/** The signed-in user's roles (admin ⊃ operator ⊃ viewer). */
export function useRoles(): { canOperate: boolean; isAdmin: boolean; me?: Me } {
  const { data } = useQuery({ queryKey: ['me'], queryFn: () => api('/auth/me').then((r) => r.data), staleTime: 60_000 });
  const roles = data?.roles ?? [];
  return {
    me: data,
    isAdmin: roles.includes('admin'),
    // Until /auth/me answers, offer the actions; the API still decides (403 is shown).
    canOperate: !data || roles.includes('admin') || roles.includes('operator'),
  };
}
