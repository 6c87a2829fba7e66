import type { Tokens, User } from '../api/types';

/**
 * The signed-in session, kept in sessionStorage: it lasts as long as the browser tab and is
 * never shared with other tabs or written to disk the way localStorage is.
 */
export interface Session {
  accessToken: string;
  refreshToken: string;
  user: User;
}

const KEY = 'attune.session';
type Listener = (session: Session | null, reason?: 'expired') => void;
const listeners = new Set<Listener>();

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function saveTokens(tokens: Tokens): Session {
  const session = { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, user: tokens.user };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  listeners.forEach((l) => l(session));
  return session;
}

export function clearSession(reason?: 'expired'): void {
  sessionStorage.removeItem(KEY);
  listeners.forEach((l) => l(null, reason));
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
