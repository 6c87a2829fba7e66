import { clearSession, loadSession, saveTokens, withRefreshLock } from '../auth/session';
import { type ApiPath, type FieldError, fillPath, type HttpMethod, type PathsWith, type QueryParams, type RequestBody, type SuccessBody, type Tokens } from '@attune/api-client';

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

/**
 * One refresh at a time, however many requests (and tabs) saw the 401 together. `sent` is the
 * access token the refused request carried: when the session already holds another one, a
 * refresh happened meanwhile (here or in another tab), and the refresh token in hand may be spent.
 */
function refreshOnce(sent: string | undefined): Promise<boolean> {
  refreshing ??= withRefreshLock(async () => {
    const session = loadSession();
    if (!session) return false;
    if (session.accessToken !== sent) return true;
    try {
      const res = await fetch('/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: session.refreshToken }),
      });
      if (!res.ok) return false;
      saveTokens(((await res.json()) as { data: Tokens }).data);
      return true;
    } catch {
      return false;
    }
  }).finally(() => (refreshing = undefined));
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
    const renewed = await refreshOnce(sent);
    if (renewed && loadSession()) res = await send();
    if (res.status === 401 && loadSession()) clearSession('expired');
  }
  return res;
}

/** A JSON call to any URL: answers the parsed body, throws ApiError for any non-2xx answer. */
export async function requestJson<T>(url: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  headers.set('accept', 'application/json');
  if (json !== undefined) headers.set('content-type', 'application/json');
  const res = await authFetch(url, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
  if (!res.ok) throw await toApiError(res);
  return (await res.json()) as T;
}

type QueryValue = string | number | undefined | null;

export interface CallOptions<P extends ApiPath, M extends HttpMethod> {
  method?: M;
  /** Values of the path template's `{name}` parameters. */
  path?: Record<string, string | number>;
  query?: { [K in keyof QueryParams<P, M>]?: QueryValue };
  json?: RequestBody<P, M>;
}

/**
 * A call of one of the api's operations, named by its path template as the OpenAPI document has it
 * (libs/api-client): the answer is typed from the spec. `api('/api/v1/executions/{id}', { path: { id } })`.
 */
export function api<P extends PathsWith<M>, M extends HttpMethod = 'get'>(template: P, opts: CallOptions<P, M> = {}): Promise<SuccessBody<P, M>> {
  const url = fillPath(template, opts.path) + query(opts.query ?? {});
  return requestJson<SuccessBody<P, M>>(url, { method: (opts.method ?? 'get').toUpperCase(), json: opts.json });
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
export function query(params: Record<string, QueryValue>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export { toApiError };
