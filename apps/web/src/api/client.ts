import { clearSession, loadSession, saveTokens } from '../auth/session';
import type { FieldError, Tokens } from './types';

/** An answer of the API that is not a success, with its stable code and details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Field errors of a 422, as the API lists them in `details`. */
  get fieldErrors(): FieldError[] {
    return Array.isArray(this.details)
      ? this.details.filter((d): d is FieldError => typeof d?.field === 'string' && typeof d?.message === 'string')
      : [];
  }
}

async function toApiError(res: Response): Promise<ApiError> {
  let body: { error?: string; code?: string; details?: unknown } | undefined;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  return new ApiError(res.status, body?.code ?? `HTTP_${res.status}`, body?.error ?? `${res.status} ${res.statusText}`, body?.details);
}

let refreshing: Promise<boolean> | undefined;

/** One refresh at a time, however many requests saw the 401 together. */
function refreshOnce(): Promise<boolean> {
  refreshing ??= (async () => {
    const refreshToken = loadSession()?.refreshToken;
    if (!refreshToken) return false;
    try {
      const res = await fetch('/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: refreshToken }),
      });
      if (!res.ok) return false;
      saveTokens(((await res.json()) as { data: Tokens }).data);
      return true;
    } catch {
      return false;
    }
  })().finally(() => (refreshing = undefined));
  return refreshing;
}

/**
 * fetch() with the session's access token. A 401 is answered by refreshing the tokens once and
 * retrying; when that fails too the session ends and the app goes back to the login page.
 * Resolves with the Response of any other status; callers decide what an error is.
 */
export async function authFetch(path: string, init: RequestInit = {}): Promise<Response> {
  let sent: string | undefined;
  const send = () => {
    const headers = new Headers(init.headers);
    sent = loadSession()?.accessToken;
    if (sent) headers.set('authorization', `Bearer ${sent}`);
    return fetch(path, { ...init, headers });
  };
  let res = await send();
  if (res.status === 401 && loadSession()) {
    // Refreshed meanwhile by another call: just try again with the new token.
    const renewed = loadSession()?.accessToken !== sent || (await refreshOnce());
    if (renewed && loadSession()) res = await send();
    if (res.status === 401 && loadSession()) clearSession('expired');
  }
  return res;
}

/** A JSON call: answers the parsed body, throws ApiError for any non-2xx answer. */
export async function api<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  headers.set('accept', 'application/json');
  if (json !== undefined) headers.set('content-type', 'application/json');
  const res = await authFetch(path, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
  if (!res.ok) throw await toApiError(res);
  return (await res.json()) as T;
}

export async function login(loginName: string, password: string): Promise<Tokens> {
  const res = await fetch('/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ login: loginName, password }),
  });
  if (!res.ok) throw await toApiError(res);
  return ((await res.json()) as { data: Tokens }).data;
}

/** A query string from the set values only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export { toApiError };
