import { type FormEvent, useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { ApiError, login } from '../api/client';
import { useTitle } from '../lib/use-title';
import { useAuth } from './auth';
import { saveTokens } from './session';

export function LoginPage() {
  const { session, ready } = useAuth();
  useTitle('Sign in');
  const location = useLocation();
  const navigate = useNavigate();
  const state = (location.state ?? {}) as { from?: string; expired?: boolean };
  const [loginName, setLoginName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const target = state.from && state.from !== '/login' ? state.from : '/executions';

  if (session && !busy) return <Navigate to={target} replace />;
  if (!ready) return null;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      saveTokens(await login(loginName.trim(), password));
      navigate(target, { replace: true });
    } catch (err) {
      setPassword('');
      if (err instanceof ApiError && err.status === 401) setError('Wrong login or password.');
      else if (err instanceof ApiError && err.status === 429) setError('Too many attempts. Wait a minute and try again.');
      else if (err instanceof ApiError) setError(err.message);
      else setError('The server could not be reached. Check that Attune is running.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <form className="card login-card" onSubmit={submit} noValidate>
        <h1>
          <img src="/favicon.svg" alt="" width={28} height={28} /> Attune
        </h1>
        {state.expired && !error && (
          <p className="notice" role="status">
            Your session has expired. Sign in again.
          </p>
        )}
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <label>
          Login
          <input name="login" autoComplete="username" autoFocus required value={loginName} onChange={(e) => setLoginName(e.target.value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <button type="submit" className="btn btn-primary" disabled={busy || !loginName || !password}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
